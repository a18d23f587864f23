// Imports from municipal IT as durable jobs: the checked file (its `payload`) is kept while it
// is applied, so a process that dies half-way finishes the job when it starts again; then the
// payload is dropped. A job's id is the hash of municipality and file, so the same file sent
// again is answered from the finished job without writing anything.
//
// Whoever applies a job holds its lease: the request that started it, or a process that claimed
// it once the lease ran out (a restart, a sweep, the same file sent again). A failed attempt
// hands the job back with a back-off, and a job that failed `maxAttempts` times ends as
// `failed`, its payload dropped: a cause that does not pass (a store that refuses a row) is not
// retried for ever, and an operator sees the job failed and sends the file again once the cause
// is mended, which starts it anew.
import type { Collection, Filter, OptionalUnlessRequiredId, UpdateFilter } from 'mongodb';
import type { Logger } from 'pino';
import { isDuplicateKeyError } from './connection.js';

export interface ImportJob<P, C> {
  _id: string;
  municipalityId: string;
  actor: string;
  status: 'applying' | 'done' | 'failed';
  /** What is needed to finish the import; absent once it is done or has failed. */
  payload?: P;
  startedAt: Date;
  finishedAt?: Date;
  counts?: C;
  /** Attempts so far, the first included (absent on jobs stored before attempts were counted). */
  attempts?: number;
  /** Until when the attempt in hand owns the job; after it, another may claim it. */
  leaseUntil?: Date;
  /** The last failed attempt: when, and the error's kind (its name and code, never its message, which can quote a row). */
  lastFailure?: { at: Date; error: string };
}

export interface ImportJobPolicy {
  /** How long an attempt owns its job before another process may take it over. */
  leaseMs: number;
  /** Attempts before the job ends as failed. */
  maxAttempts: number;
  /** The wait after the first failed attempt; it doubles with each further one, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

/** Eight attempts over about two hours: a store outage of an hour does not end a job; a row the store refuses does. */
export const DEFAULT_IMPORT_JOB_POLICY: ImportJobPolicy = { leaseMs: 10 * 60_000, maxAttempts: 8, backoffMs: 30_000, maxBackoffMs: 60 * 60_000 };

/**
 * What became of an attempt: the job done, handed back for a later attempt, ended as failed, or
 * stopped with its process (handed back at once, not counted against it).
 */
export type AttemptOutcome<C> = { status: 'done'; counts: C } | { status: 'retry' | 'failed'; error: unknown; attempts: number } | { status: 'stopped' };

/** Thrown by an apply that stops between rows because its process is stopping. */
export class AttemptStopped extends Error {
  constructor() {
    super('the process is stopping');
    this.name = 'AttemptStopped';
  }
}

/** The error's kind as a job keeps it: a class name and a driver's code, no message. */
export function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `${error.name} ${code}` : error.name;
}

export interface ResumeOptions {
  /** Jobs to leave (this process applies them already, or it is stopping). */
  skip?: (id: string) => boolean;
  /** Wraps each attempt, so that a process stopping can wait for the one in hand. */
  track?: <T>(id: string, attempt: Promise<T>) => Promise<T>;
}

export class ImportJobs<P, C> {
  private readonly policy: ImportJobPolicy;

  constructor(
    private readonly collection: Collection<ImportJob<P, C>>,
    policy: Partial<ImportJobPolicy> = {},
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.policy = { ...DEFAULT_IMPORT_JOB_POLICY, ...policy };
  }

  get(id: string): Promise<ImportJob<P, C> | null> {
    return this.collection.findOne({ _id: id } as Filter<ImportJob<P, C>>) as Promise<ImportJob<P, C> | null>;
  }

  /**
   * Starts a job, its first attempt holding the lease: `started`; `restarted` when the same file
   * had failed before (the job starts anew, its attempts counted from one); `exists` when a job
   * with this id is applying or done.
   */
  async start(job: { _id: string; municipalityId: string; actor: string; payload: P }): Promise<'started' | 'restarted' | 'exists'> {
    const now = this.clock();
    const fresh = { ...job, status: 'applying' as const, startedAt: now, attempts: 1, leaseUntil: this.leaseFrom(now) };
    try {
      await this.collection.insertOne(fresh as OptionalUnlessRequiredId<ImportJob<P, C>>);
      return 'started';
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const { _id, ...rest } = fresh;
    const restarted = await this.collection.updateOne({ _id, status: 'failed' } as Filter<ImportJob<P, C>>, {
      $set: rest,
      $unset: { finishedAt: '', counts: '', lastFailure: '' },
    } as UpdateFilter<ImportJob<P, C>>);
    return restarted.modifiedCount === 1 ? 'restarted' : 'exists';
  }

  /** Takes over an applying job whose lease ran out, counting the attempt; null when it is done, failed or owned. */
  async claim(id: string): Promise<ImportJob<P, C> | null> {
    const now = this.clock();
    const claimed = await this.collection.findOneAndUpdate(
      { _id: id, ...this.leaseOver(now) } as Filter<ImportJob<P, C>>,
      { $set: { leaseUntil: this.leaseFrom(now) }, $inc: { attempts: 1 } } as UpdateFilter<ImportJob<P, C>>,
      { returnDocument: 'after' },
    );
    return (claimed as ImportJob<P, C> | null) ?? null;
  }

  /** Keeps the lease of a long attempt (between batches of rows). */
  async renew(id: string): Promise<void> {
    await this.collection.updateOne({ _id: id, status: 'applying' } as Filter<ImportJob<P, C>>, { $set: { leaseUntil: this.leaseFrom(this.clock()) } } as UpdateFilter<ImportJob<P, C>>);
  }

  /** When the lease of an applying job ends (a re-send inside it is told to wait that long). */
  leaseEnds(job: ImportJob<P, C>): Date | null {
    return job.status === 'applying' && job.leaseUntil && job.leaseUntil > this.clock() ? job.leaseUntil : null;
  }

  /**
   * Marks a job done and drops its payload: nothing it held outlives the import. Only once: a
   * second run of a job (a resume racing the first) does not overwrite the first run's counts.
   */
  async finish(id: string, counts: C): Promise<void> {
    await this.collection.updateOne(
      { _id: id, status: 'applying' } as Filter<ImportJob<P, C>>,
      { $set: { status: 'done', finishedAt: this.clock(), counts }, $unset: { payload: '', leaseUntil: '' } } as UpdateFilter<ImportJob<P, C>>,
    );
  }

  /**
   * Records a failed attempt: the job waits out its back-off before another attempt may claim
   * it, or, at its last attempt, ends as failed with its payload dropped.
   */
  async failed(id: string, error: unknown): Promise<'retry' | 'failed'> {
    const now = this.clock();
    const job = await this.get(id);
    if (!job || job.status !== 'applying') return 'failed';
    const attempts = job.attempts ?? 1;
    const lastFailure = { at: now, error: errorKind(error) };
    if (attempts >= this.policy.maxAttempts) {
      await this.collection.updateOne(
        { _id: id, status: 'applying' } as Filter<ImportJob<P, C>>,
        { $set: { status: 'failed', finishedAt: now, lastFailure }, $unset: { payload: '', leaseUntil: '' } } as UpdateFilter<ImportJob<P, C>>,
      );
      return 'failed';
    }
    const wait = Math.min(this.policy.backoffMs * 2 ** (attempts - 1), this.policy.maxBackoffMs);
    await this.collection.updateOne({ _id: id, status: 'applying' } as Filter<ImportJob<P, C>>, { $set: { leaseUntil: new Date(now.getTime() + wait), lastFailure } } as UpdateFilter<ImportJob<P, C>>);
    return 'retry';
  }

  /** Applies a job whose lease is held here: done with its counts, or the failure recorded. */
  async attempt(job: ImportJob<P, C>, apply: (job: ImportJob<P, C>) => Promise<C>): Promise<AttemptOutcome<C>> {
    let counts: C;
    try {
      counts = await apply(job);
    } catch (error) {
      if (error instanceof AttemptStopped) {
        // The next start (this process's or another's) takes it up, the attempt given back.
        await this.collection.updateOne({ _id: job._id, status: 'applying' } as Filter<ImportJob<P, C>>, { $set: { leaseUntil: this.clock() }, $inc: { attempts: -1 } } as UpdateFilter<ImportJob<P, C>>);
        return { status: 'stopped' };
      }
      return { status: await this.failed(job._id, error), error, attempts: job.attempts ?? 1 };
    }
    await this.finish(job._id, counts);
    return { status: 'done', counts };
  }

  /**
   * Applies a job in the request that brought its file, for services that answer an import when
   * it is applied: a new job; a failed one started anew; or one whose earlier attempt ended
   * without an end (a request that failed, a process that stopped), taken over once its lease or
   * back-off is over. Answers the job done (`repeated` when an earlier attempt or request did
   * it), or `busy` with the end of the lease another attempt holds. A failed attempt is
   * recorded and its error thrown.
   */
  async applyNow(job: { _id: string; municipalityId: string; actor: string; payload: P }, apply: () => Promise<C>, logger: Logger): Promise<{ status: 'done'; counts: C; repeated: boolean } | { status: 'busy'; until: Date }> {
    const answered = (stored: ImportJob<P, C> | null) => (stored?.status === 'done' ? { status: 'done' as const, counts: stored.counts as C, repeated: true } : null);
    const done = answered(await this.get(job._id));
    if (done) return done;
    const started = await this.start(job);
    const held = started === 'exists' ? await this.claim(job._id) : await this.get(job._id);
    if (!held) {
      const current = await this.get(job._id);
      return answered(current) ?? { status: 'busy', until: current?.leaseUntil ?? this.clock() };
    }
    const outcome = await this.attempt(held, apply);
    logOutcome(logger, held, outcome);
    if (outcome.status === 'done') return { status: 'done', counts: outcome.counts, repeated: false };
    throw 'error' in outcome ? outcome.error : new AttemptStopped();
  }

  /**
   * Claims and applies the due jobs one after the other (an import is large: two at once would
   * only contend for the store), leaving those `skip` names; answers how many it attempted.
   */
  async resume(apply: (job: ImportJob<P, C>) => Promise<C>, logger: Logger, options: ResumeOptions = {}): Promise<number> {
    const { skip = () => false, track = (_id, attempt) => attempt } = options;
    let attempted = 0;
    for (const due of await this.due()) {
      if (skip(due._id)) continue;
      const job = await this.claim(due._id);
      // Another process claimed it between the two reads.
      if (!job) continue;
      attempted++;
      logOutcome(logger, job, await track(job._id, this.attempt(job, apply)));
    }
    return attempted;
  }

  /** Applying jobs that no attempt owns: stopped half-way, or waiting out a back-off that has passed. */
  due(): Promise<ImportJob<P, C>[]> {
    return this.collection.find(this.leaseOver(this.clock()) as Filter<ImportJob<P, C>>).toArray() as Promise<ImportJob<P, C>[]>;
  }

  private leaseFrom(now: Date): Date {
    return new Date(now.getTime() + this.policy.leaseMs);
  }

  private leaseOver(now: Date): Filter<ImportJob<P, C>> {
    // Jobs stored before leases have none: they are due as they were before.
    return { status: 'applying', $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lte: now } }] } as Filter<ImportJob<P, C>>;
  }
}

/** One line per attempt that did not end the job well, and one for a job done; no payload, no error message beyond the logger's own. */
export function logOutcome<C>(logger: Logger, job: { _id: string; attempts?: number }, outcome: AttemptOutcome<C>): void {
  const at = { jobId: job._id, attempt: job.attempts ?? 1 };
  if (outcome.status === 'done') logger.info({ ...at, counts: outcome.counts }, 'import job applied');
  else if (outcome.status === 'stopped') logger.info(at, 'an import job attempt stopped with its process; the next start takes it up');
  else if (outcome.status === 'retry') logger.warn({ ...at, err: outcome.error }, 'an import job attempt failed; it is tried again after its back-off');
  else logger.error({ ...at, err: outcome.error }, 'an import job failed at its last attempt; its file must be sent again');
}
