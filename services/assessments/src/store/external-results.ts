// External test results, one aggregate per result under its derived id (domain/external-result):
// writing the same result again finds it, so imports are idempotent row by row. A result is
// written with its event in the same single-document write (libs/events): `recorded` when it is
// new, `corrected` when a later import changes its score or interpretation. Transitions carries
// them in a handover package from those events.
import type { Collection, Db } from 'mongodb';
import { ImportJobs as Jobs } from '@spor/mongo';
import type { RoleGrant } from '@spor/auth';
import { conflict, isAppError } from '@spor/service-kit';
import { AggregateStore, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import { sameValues, type ExternalResult, type ResolvedRow } from '../domain/external-result.js';

export type ImportCounts = { created: number; updated: number; unchanged: number };
/** What a job keeps until it is applied: the checked rows (pseudonymous ids only) and the importer's roles, for the audit trail of a resumed job. */
export interface ImportPayload {
  rows: ResolvedRow[];
  roles: RoleGrant[];
}
export type ResultImportJobs = Jobs<ImportPayload, ImportCounts>;
export const openResultImportJobs = (db: Db, clock?: () => Date): ResultImportJobs => new Jobs(db.collection('external_result_imports'), {}, clock);

export type Written = 'created' | 'updated' | 'unchanged';

type ResultState = Omit<ExternalResult, '_id'>;
export type StoredResult = Stored<ResultState>;

/** Tries of a write that met a concurrent write of the same result (another import, a retention disposal). */
const WRITE_TRIES = 3;

export class ExternalResults {
  private readonly store: AggregateStore<ResultState>;

  /** Written with their events: the backbone's relay publishes from this collection. */
  static aggregateCollections = ['external_results'];
  static collections = ['external_result_imports'];

  constructor(
    private readonly collection: Collection<StoredResult>,
    private readonly factory: EventFactory,
    locks: KeyedMutex,
    /** Without one (a tool, a test), the service's relay finds the events at its next sweep. */
    relay?: OutboxRelay,
  ) {
    this.store = new AggregateStore<ResultState>({ collection, locks, relay, aggregate: 'external result' });
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ childId: 1 });
    await this.publishEarlierResults();
  }

  /**
   * Results stored before results were written with their events get version 1 and their
   * `recorded` event now, with the values in force, so a handover can carry them (one read of
   * the collection at start: AggregateStore.adoptUnversioned). Answers how many.
   */
  publishEarlierResults(): Promise<number> {
    return this.store.adoptUnversioned((id, state) => [this.event('recorded', id, 1, state)]);
  }

  get(id: string): Promise<StoredResult | null> {
    return this.store.load(id);
  }

  /** A new result with its `recorded` event; false when one with this id (the same child, test and day) exists. */
  async insert(result: ExternalResult): Promise<boolean> {
    const { _id, ...state } = result;
    try {
      await this.store.create(_id, state, [this.event('recorded', _id, 1, state)]);
      return true;
    } catch (error) {
      if (isAppError(error, 'ALREADY_EXISTS')) return false;
      throw error;
    }
  }

  /**
   * Writes an imported result: new, the same as stored (nothing written), or a correction of the
   * score or interpretation, which keeps the values it replaces. A result this same job wrote
   * already (before the process stopped half-way) counts as what the job did to it, not as
   * unchanged, so a resumed job reports and audits every row it wrote.
   */
  async upsert(result: ExternalResult): Promise<Written> {
    for (let attempt = 1; attempt <= WRITE_TRIES; attempt++) {
      if (await this.insert(result)) return 'created';
      const stored = await this.get(result._id);
      if (!stored) continue; // disposed of in between: inserted anew
      if (sameValues(stored, result)) return this.byThisJob(stored, result.importJobId);
      const { score, maxScore, interpretation, recordedBy, recordedAt, importJobId } = result;
      const next: ResultState = {
        ...stored,
        score,
        maxScore,
        interpretation,
        recordedBy,
        recordedAt,
        ...(importJobId ? { importJobId } : {}),
        corrections: [...(stored.corrections ?? []), { score: stored.score, maxScore: stored.maxScore, interpretation: stored.interpretation, replacedAt: recordedAt, replacedBy: recordedBy, ...(importJobId ? { importJobId } : {}) }],
      };
      try {
        await this.store.save(stored._id, stored.version, next, [this.event('corrected', stored._id, stored.version + 1, next)], stored);
        return 'updated';
      } catch (error) {
        if (!isAppError(error, 'VERSION_CONFLICT')) throw error;
      }
    }
    throw conflict('RESULT_BUSY', `external result ${result._id} kept changing while it was written (${WRITE_TRIES} tries); the job is taken up again`);
  }

  /** What a job did to a result that already holds its values: nothing, unless the job wrote them itself. */
  private byThisJob(stored: StoredResult, jobId: string | undefined): Written {
    if (!jobId || stored.importJobId !== jobId) return 'unchanged';
    return stored.corrections?.at(-1)?.importJobId === jobId ? 'updated' : 'created';
  }

  async forChild(childId: string, municipalityId: string): Promise<StoredResult[]> {
    // Only the child id goes to the store (an index FerretDB uses); the rest is checked here.
    const all = (await this.collection.find({ childId }, { projection: this.store.readProjection }).toArray()) as StoredResult[];
    return all.filter((r) => r.municipalityId === municipalityId).sort((a, b) => a.testedOn.localeCompare(b.testedOn));
  }

  /** The event of a result: codes, numbers and ids only; the test's name as typed stays here. */
  private event(verb: 'recorded' | 'corrected', id: string, version: number, r: ResultState) {
    return this.factory.create(`dk.spor.assessments.external-result.${verb}.v1`, {
      subject: id,
      partitionKey: r.childId,
      municipalityId: r.municipalityId,
      aggregateVersion: version,
      data: { resultId: id, childId: r.childId, source: r.source, testedOn: r.testedOn, score: r.score, maxScore: r.maxScore, interpretation: r.interpretation, institutionId: r.institutionId },
    });
  }
}
