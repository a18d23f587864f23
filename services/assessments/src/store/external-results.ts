// External test results, one document per result under its derived id (domain/external-result):
// writing the same result again finds it, so imports are idempotent row by row.
import type { Collection, Db } from 'mongodb';
import { ImportJobs as Jobs, isDuplicateKeyError } from '@spor/mongo';
import type { RoleGrant } from '@spor/auth';
import { sameValues, type ExternalResult, type ResolvedRow } from '../domain/external-result.js';

export type ImportCounts = { created: number; updated: number; unchanged: number };
/** What a job keeps until it is applied: the checked rows (pseudonymous ids only) and the importer's roles, for the audit trail of a resumed job. */
export interface ImportPayload {
  rows: ResolvedRow[];
  roles: RoleGrant[];
}
export type ResultImportJobs = Jobs<ImportPayload, ImportCounts>;
export const openResultImportJobs = (db: Db): ResultImportJobs => new Jobs(db.collection('external_result_imports'));

export type Written = 'created' | 'updated' | 'unchanged';

export class ExternalResults {
  constructor(private readonly collection: Collection<ExternalResult>) {}

  static collections = ['external_results', 'external_result_imports'];

  async init(): Promise<void> {
    await this.collection.createIndex({ childId: 1 });
  }

  get(id: string): Promise<ExternalResult | null> {
    return this.collection.findOne({ _id: id });
  }

  /** A new result; false when one with this id (the same child, test and day) exists. */
  async insert(result: ExternalResult): Promise<boolean> {
    try {
      await this.collection.insertOne(result);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /**
   * Writes an imported result: new, the same as stored (nothing written), or a correction
   * of the score or interpretation, which keeps the values it replaces.
   */
  async upsert(result: ExternalResult): Promise<Written> {
    if (await this.insert(result)) return 'created';
    const stored = await this.get(result._id);
    if (!stored || sameValues(stored, result)) return 'unchanged';
    const { score, maxScore, interpretation, recordedBy, recordedAt, importJobId } = result;
    await this.collection.updateOne(
      { _id: result._id },
      {
        $set: { score, maxScore, interpretation, recordedBy, recordedAt, ...(importJobId ? { importJobId } : {}) },
        $push: { corrections: { score: stored.score, maxScore: stored.maxScore, interpretation: stored.interpretation, replacedAt: recordedAt, replacedBy: recordedBy, ...(importJobId ? { importJobId } : {}) } },
      },
    );
    return 'updated';
  }

  forChild(childId: string, municipalityId: string): Promise<ExternalResult[]> {
    // Only the child id goes to the store (an index FerretDB uses); the rest is checked here.
    return this.collection
      .find({ childId })
      .toArray()
      .then((all) => all.filter((r) => r.municipalityId === municipalityId).sort((a, b) => a.testedOn.localeCompare(b.testedOn)));
  }
}
