// Published purpose versions, per municipality: the built-in purposes are version 1 for every
// municipality ('*'), and a municipality that words a purpose its own way publishes version 2
// and on, which only its own requests use. A version is inserted once under
// `<municipality>:<purposeId>:v<version>` and never updated; a race for the same number loses
// on the unique _id.
import type { Collection } from 'mongodb';
import { conflict } from '@spor/service-kit';
import { isDuplicateKeyError } from '@spor/mongo';
import { BUILT_IN_PURPOSES, type PurposeVersion } from '../domain/purposes.js';

export interface StoredPurpose extends PurposeVersion {
  _id: string;
  /** The kommunekode whose version this is, or '*' for the built-in ones. */
  municipalityId: string;
  publishedAt: Date;
  publishedBy: string;
}

const EVERY_MUNICIPALITY = '*';
const idOf = (municipalityId: string, purposeId: string, version: number) => `${municipalityId}:${purposeId}:v${version}`;

export class PurposeCatalogue {
  constructor(private readonly collection: Collection<StoredPurpose>) {}

  /** Publishes the built-in purposes' first versions where they are missing. */
  async init(now = new Date()): Promise<void> {
    await this.collection.createIndex({ municipalityId: 1, purposeId: 1, version: -1 });
    for (const purpose of BUILT_IN_PURPOSES) {
      try {
        await this.collection.insertOne({ ...purpose, _id: idOf(EVERY_MUNICIPALITY, purpose.purposeId, purpose.version), municipalityId: EVERY_MUNICIPALITY, publishedAt: now, publishedBy: 'built-in' });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
  }

  /** The version a new request in this municipality uses: its own newest, else the built-in one. */
  async current(municipalityId: string, purposeId: string): Promise<StoredPurpose | null> {
    return (
      (await this.collection.findOne({ municipalityId, purposeId }, { sort: { version: -1 } })) ??
      (await this.collection.findOne({ municipalityId: EVERY_MUNICIPALITY, purposeId }, { sort: { version: -1 } }))
    );
  }

  async version(municipalityId: string, purposeId: string, version: number): Promise<StoredPurpose | null> {
    return (await this.collection.findOne({ _id: idOf(municipalityId, purposeId, version) })) ?? (await this.collection.findOne({ _id: idOf(EVERY_MUNICIPALITY, purposeId, version) }));
  }

  async allCurrent(municipalityId: string): Promise<StoredPurpose[]> {
    const all = await this.collection.find({ municipalityId: { $in: [municipalityId, EVERY_MUNICIPALITY] } }).toArray();
    const newest = new Map<string, StoredPurpose>();
    for (const p of all) if ((newest.get(p.purposeId)?.version ?? 0) < p.version) newest.set(p.purposeId, p);
    return [...newest.values()].sort((a, b) => a.purposeId.localeCompare(b.purposeId));
  }

  async publish(municipalityId: string, next: Omit<PurposeVersion, 'version'>, by: string, now = new Date()): Promise<StoredPurpose> {
    const version = ((await this.current(municipalityId, next.purposeId))?.version ?? 0) + 1;
    const doc: StoredPurpose = { ...next, version, _id: idOf(municipalityId, next.purposeId, version), municipalityId, publishedAt: now, publishedBy: by };
    try {
      await this.collection.insertOne(doc);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw conflict('PURPOSE_VERSION_TAKEN', `version ${version} of ${next.purposeId} was published at the same moment; read it and try again`);
      throw error;
    }
    return doc;
  }
}
