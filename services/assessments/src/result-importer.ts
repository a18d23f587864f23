// Applies import jobs of external test results after the request that checked the file has
// answered (202 with the job): each row is written idempotently under its derived id and
// audit-logged with its child, then the job is marked done and its rows are dropped. A job a
// stopped process left half-applied is finished at the next start, or by the periodic sweep
// after a failed round; applying a row twice changes nothing.
import type { Logger } from '@spor/service-kit';
import type { AuditLog } from '@spor/audit';
import type { ImportJob } from '@spor/mongo';
import { resultId, type ExternalResult } from './domain/external-result.js';
import type { ExternalResults, ImportCounts, ImportPayload, ResultImportJobs } from './store/external-results.js';

/** Rows written between audit flushes: the audit's group write takes each batch in one round trip. */
const BATCH = 50;

export class ResultImporter {
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly deps: { jobs: ResultImportJobs; results: ExternalResults; audit: AuditLog; logger: Logger; clock: () => Date },
  ) {}

  /** Starts applying a job in the background (once per job in this process); resolves when it is done. */
  start(job: ImportJob<ImportPayload, ImportCounts>): Promise<void> {
    const existing = this.running.get(job._id);
    if (existing) return existing;
    const run = this.apply(job)
      .catch((error: unknown) => this.deps.logger.error({ err: error, jobId: job._id }, 'an external-result import failed; the sweep retries it'))
      .finally(() => this.running.delete(job._id));
    this.running.set(job._id, run);
    return run;
  }

  /** Applies every unfinished job not already running here; answers how many it found. */
  async resume(): Promise<number> {
    const unfinished = (await this.deps.jobs.unfinished()).filter((job) => !this.running.has(job._id));
    await Promise.all(unfinished.map((job) => this.start(job)));
    return unfinished.length;
  }

  /** Lets the rows in hand finish; the rest of a job stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running.values());
  }

  private async apply(job: ImportJob<ImportPayload, ImportCounts>): Promise<void> {
    const { rows, roles } = job.payload ?? { rows: [], roles: [] };
    const { results, audit, clock } = this.deps;
    // The importer as the audit trail names them, also when a later start finishes the job.
    const principal = { subject: job.actor, kind: 'staff' as const, municipalityId: job.municipalityId, roles, children: [], scopes: [], expiresAt: new Date(0) };
    const counts: ImportCounts = { created: 0, updated: 0, unchanged: 0 };
    for (let i = 0; i < rows.length; i += BATCH) {
      if (this.stopped) return;
      const audited: Promise<void>[] = [];
      for (const row of rows.slice(i, i + BATCH)) {
        const { row: _n, ...values } = row;
        const result: ExternalResult = { _id: resultId(job.municipalityId, row.childId, row), ...values, municipalityId: job.municipalityId, recordedBy: job.actor, recordedAt: clock(), importJobId: job._id };
        const written = await results.upsert(result);
        counts[written]++;
        if (written !== 'unchanged') audited.push(audit.record(principal, { action: written === 'created' ? 'import' : 'import-correct', recordType: 'external-result', recordId: result._id, childId: row.childId, purpose: `import job ${job._id}` }));
      }
      await Promise.all(audited);
    }
    // A job finished after a restart counts (and audits again) the rows it wrote before the stop as
    // what it did to them (ExternalResults.upsert): an entry that the stop cut off is not missing.
    await this.deps.jobs.finish(job._id, counts);
    this.deps.logger.info({ jobId: job._id, counts }, 'external-result import applied');
  }
}
