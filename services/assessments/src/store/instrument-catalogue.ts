// Instrument versions per municipality. The built-in instruments are version 1 for every
// municipality ('*'). A municipality drafts a new instrument, or a new version of one, and
// publishes it: the draft becomes the next version, inserted once and never changed.
import type { Collection } from 'mongodb';
import { TtlCache, conflict } from '@spor/service-kit';
import { isDuplicateKeyError } from '@spor/mongo';
import { BUILT_IN_INSTRUMENTS } from '../domain/built-in-instruments.js';
import type { InstrumentDefinition } from '../domain/instrument.js';

export interface StoredInstrument {
  _id: string;
  municipalityId: string;
  instrumentId: string;
  status: 'draft' | 'published';
  /** 0 for a draft; the version once published. */
  version: number;
  definition: InstrumentDefinition;
  savedAt: Date;
  savedBy: string;
}

const EVERY = '*';
const versionId = (municipalityId: string, instrumentId: string, version: number) => `${municipalityId}:${instrumentId}:v${version}`;
const draftId = (municipalityId: string, instrumentId: string) => `${municipalityId}:${instrumentId}:draft`;

export class InstrumentCatalogue {
  /** Published versions never change; which one is current changes on publish (other replicas see it within 10 s). */
  private readonly versions = new TtlCache<InstrumentDefinition | null>(3_600_000);
  private readonly currents = new TtlCache<InstrumentDefinition | null>(10_000);

  constructor(private readonly collection: Collection<StoredInstrument>) {}

  async init(now = new Date()): Promise<void> {
    await this.collection.createIndex({ municipalityId: 1, instrumentId: 1, version: -1 });
    for (const definition of BUILT_IN_INSTRUMENTS) {
      try {
        await this.collection.insertOne({ _id: versionId(EVERY, definition.instrumentId, definition.version), municipalityId: EVERY, instrumentId: definition.instrumentId, status: 'published', version: definition.version, definition, savedAt: now, savedBy: 'built-in' });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
  }

  /** The newest published version this municipality uses: its own, else the built-in one. */
  current(municipalityId: string, instrumentId: string): Promise<InstrumentDefinition | null> {
    return this.currents.get(`${municipalityId}:${instrumentId}`, () => this.loadCurrent(municipalityId, instrumentId));
  }

  private async loadCurrent(municipalityId: string, instrumentId: string): Promise<InstrumentDefinition | null> {
    const own = await this.collection.findOne({ municipalityId, instrumentId, status: 'published' }, { sort: { version: -1 } });
    return (own ?? (await this.collection.findOne({ municipalityId: EVERY, instrumentId, status: 'published' }, { sort: { version: -1 } })))?.definition ?? null;
  }

  /** A published version is kept for an hour; "no such version" is not kept, since any replica may publish it next. */
  async version(municipalityId: string, instrumentId: string, version: number): Promise<InstrumentDefinition | null> {
    const key = `${municipalityId}:${instrumentId}:${version}`;
    const found = await this.versions.get(key, () => this.loadVersion(municipalityId, instrumentId, version));
    if (!found) this.versions.delete(key);
    return found;
  }

  private async loadVersion(municipalityId: string, instrumentId: string, version: number): Promise<InstrumentDefinition | null> {
    return ((await this.collection.findOne({ _id: versionId(municipalityId, instrumentId, version) })) ?? (await this.collection.findOne({ _id: versionId(EVERY, instrumentId, version) })))?.definition ?? null;
  }

  /**
   * The version in use of every instrument, by the rule `current` follows: the municipality's own
   * newest once it has one, even when a built-in version with a higher number comes later (what
   * is listed is what a new assessment uses).
   */
  async allCurrent(municipalityId: string): Promise<InstrumentDefinition[]> {
    const all = await this.collection.find({ municipalityId: { $in: [municipalityId, EVERY] }, status: 'published' }).toArray();
    // Any version of the municipality's own outranks every built-in one.
    const rank = (doc: StoredInstrument) => (doc.municipalityId === EVERY ? 0 : 1_000_000) + doc.version;
    const newest = new Map<string, StoredInstrument>();
    for (const doc of all) if (rank(doc) > rank(newest.get(doc.instrumentId) ?? doc) || !newest.has(doc.instrumentId)) newest.set(doc.instrumentId, doc);
    return [...newest.values()].map((doc) => doc.definition).sort((a, b) => a.instrumentId.localeCompare(b.instrumentId));
  }

  draft(municipalityId: string, instrumentId: string): Promise<StoredInstrument | null> {
    return this.collection.findOne({ _id: draftId(municipalityId, instrumentId) });
  }

  async saveDraft(municipalityId: string, definition: Omit<InstrumentDefinition, 'version'>, by: string): Promise<StoredInstrument> {
    const doc: StoredInstrument = { _id: draftId(municipalityId, definition.instrumentId), municipalityId, instrumentId: definition.instrumentId, status: 'draft', version: 0, definition: { ...definition, version: 0 }, savedAt: new Date(), savedBy: by };
    await this.collection.replaceOne({ _id: doc._id }, doc, { upsert: true });
    return doc;
  }

  /** The draft becomes the next version; a second publish at the same moment loses on the version's unique id. */
  async publish(municipalityId: string, instrumentId: string, by: string): Promise<InstrumentDefinition | null> {
    const draft = await this.draft(municipalityId, instrumentId);
    if (!draft) return null;
    const version = ((await this.current(municipalityId, instrumentId))?.version ?? 0) + 1;
    const definition = { ...draft.definition, version };
    try {
      await this.collection.insertOne({ _id: versionId(municipalityId, instrumentId, version), municipalityId, instrumentId, status: 'published', version, definition, savedAt: new Date(), savedBy: by });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw conflict('INSTRUMENT_VERSION_TAKEN', `version ${version} of ${instrumentId} was published at the same moment`);
      throw error;
    }
    await this.collection.deleteOne({ _id: draft._id, savedAt: draft.savedAt });
    this.currents.clear();
    return definition;
  }
}
