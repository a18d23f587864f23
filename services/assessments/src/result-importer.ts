// Applies import jobs of external test results after the request that checked the file has
// answered (202 with the job): each row is written idempotently under its derived id and
// audit-logged with its child, then the job is marked done and its rows are dropped. A job a
// stopped process left half-applied is finished at the next start, and one whose attempt
// failed by the periodic sweep after its back-off, until its attempts run out (libs/mongo
// import-jobs); applying a row twice changes nothing.
import type { Logger } from '@spor/service-kit';
import type { AuditLog } from '@spor/audit';
import { importerPrincipal } from '@spor/auth';
import { AttemptLost, AttemptStopped, logOutcome, type ImportJob, type Lease } from '@spor/mongo';
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

  /** Applies a job just started (its lease held by the request) in the background; resolves when the attempt ends. */
  start(job: ImportJob<ImportPayload, ImportCounts>): Promise<void> {
    const { jobs, logger } = this.deps;
    return this.tracked(
      job._id,
      jobs.attempt(job, (j, lease) => this.apply(j, lease)).then(
        (outcome) => logOutcome(logger, job, outcome),
        (error: unknown) => logger.error({ err: error, jobId: job._id }, 'an external-result import attempt could not be recorded; the sweep takes the job up when its lease ends'),
      ),
    );
  }

  /** Claims and applies the due jobs not running here; answers how many it attempted. */
  resume(): Promise<number> {
    return this.deps.jobs.resume((job, lease) => this.apply(job, lease), this.deps.logger, { skip: (id) => this.stopped || this.running.has(id), track: (id, attempt) => this.tracked(id, attempt) });
  }

  /** Lets the rows in hand finish; the rest of a job stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running.values());
  }

  /** Keeps an attempt in hand until it ends, so that stopping waits for it. */
  private tracked<T>(id: string, attempt: Promise<T>): Promise<T> {
    const run = attempt.finally(() => this.running.delete(id));
    this.running.set(id, run.then(() => undefined, () => undefined));
    return run;
  }

  private async apply(job: ImportJob<ImportPayload, ImportCounts>, lease: Lease): Promise<ImportCounts> {
    const { rows, roles } = job.payload ?? { rows: [], roles: [] };
    const { results, audit, clock } = this.deps;
    // The importer as the audit trail names them, also when a later start finishes the job.
    const principal = importerPrincipal(job, roles);
    const counts: ImportCounts = { created: 0, updated: 0, unchanged: 0 };
    for (let i = 0; i < rows.length; i += BATCH) {
      if (this.stopped) throw new AttemptStopped();
      // Another attempt holds the job (this process stalled past its lease): it writes the rest.
      if (!lease.held()) throw new AttemptLost();
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
    return counts;
  }
}
