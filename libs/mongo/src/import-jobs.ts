// Imports from municipal IT as durable jobs: the checked file (its `payload`) is kept while it
// is applied, so a process that dies half-way finishes the job when it starts again; then the
// payload is dropped. A job's id is the hash of municipality and file, so the same file sent
// again is answered from the finished job without writing anything.
//
// One attempt at a time applies a job: the request that started it, or a process that claimed
// it (a restart, a sweep, the same file sent again). The attempt holds a lease, renewed by a
// heartbeat while it runs, and every write of its end names the attempt (`attemptId`), so an
// attempt that lost its lease (a process stalled past it) can neither end nor fail the job that
// another attempt now holds. A failed attempt hands the job back with a back-off, and a job
// that failed `maxAttempts` times ends as `failed`, its payload dropped: a cause that does not
// pass (a store that refuses a row) is not retried for ever, and an operator sees the job failed
// and sends the file again once the cause is mended, which starts it anew.
import { randomUUID } from 'node:crypto';
import type { Collection, Filter, OptionalUnlessRequiredId, UpdateFilter } from 'mongodb';
import type { Logger } from 'pino';
import { isDuplicateKeyError } from './connection.js';
import { KeyedMutex } from './keyed-mutex.js';

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
  /** The attempt that holds the job: the only one whose end is written. */
  attemptId?: string;
  /** Until when the attempt in hand owns the job, or until when a failed attempt's back-off runs. */
  leaseUntil?: Date;
  /** Set while a back-off runs: no attempt is in hand, so the same file sent again may take the job at once. */
  backingOff?: boolean;
  /** The last failed attempt: when, and the error's kind (its name and code, never its message, which can quote a row). */
  lastFailure?: { at: Date; error: string };
}

export interface ImportJobPolicy {
  /** How long an attempt owns its job without a heartbeat before another process may take it over. */
  leaseMs: number;
  /** How often a running attempt renews its lease. */
  heartbeatMs: number;
  /** Attempts before the job ends as failed. */
  maxAttempts: number;
  /** The wait after the first failed attempt; it doubles with each further one, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

/**
 * Eight attempts, waiting 1, 2, 4, 8, 16, 32 and 60 minutes between them (about two hours): a
 * store outage of an hour does not end a job; a row the store refuses does. A process that dies
 * mid-attempt leaves its job to another after two minutes.
 */
export const DEFAULT_IMPORT_JOB_POLICY: ImportJobPolicy = { leaseMs: 120_000, heartbeatMs: 30_000, maxAttempts: 8, backoffMs: 60_000, maxBackoffMs: 60 * 60_000 };

/** A job as it is answered to the importer: how far it is, and why it failed; never its payload. */
export function importJobView<C>(job: ImportJob<unknown, C>) {
  return {
    jobId: job._id,
    status: job.status,
    startedAt: job.startedAt.toISOString(),
    ...(job.finishedAt ? { finishedAt: job.finishedAt.toISOString() } : {}),
    ...(job.counts ? { counts: job.counts } : {}),
    ...(job.attempts ? { attempts: job.attempts } : {}),
    ...(job.lastFailure ? { lastFailure: { at: job.lastFailure.at.toISOString(), error: job.lastFailure.error } } : {}),
  };
}

/** How often a service looks for jobs no attempt holds (a back-off's shortest wait). */
export const IMPORT_SWEEP_MS = 60_000;

/**
 * What became of an attempt: the job done, handed back for a later attempt, ended as failed,
 * stopped with its process (handed back at once, not counted against it), or lost (its lease
 * passed to another attempt, which writes the end; nothing of this one's was written).
 */
export type AttemptOutcome<C> =
  | { status: 'done'; counts: C }
  | { status: 'retry'; error: unknown; attempts: number }
  | { status: 'failed'; error: unknown; attempts: number }
  | { status: 'stopped' }
  | { status: 'lost' };

/** Thrown by an apply that stops between rows because its process is stopping. */
export class AttemptStopped extends Error {
  constructor() {
    super('the process is stopping');
    this.name = 'AttemptStopped';
  }
}

/** Thrown by an apply that finds its lease gone between rows: another attempt holds the job. */
export class AttemptLost extends Error {
  constructor() {
    super('the attempt lost its lease to another');
    this.name = 'AttemptLost';
  }
}

/** The attempt in hand, as its apply sees it: whether the lease still holds (the heartbeat's last word). */
export interface Lease {
  held(): boolean;
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

type Apply<P, C> = (job: ImportJob<P, C>, lease: Lease) => Promise<C>;

export class ImportJobs<P, C> {
  private readonly policy: ImportJobPolicy;
  /** Every write of a job's lease or end in this process, one at a time: FerretDB 1.x does not isolate conditional updates (decision 0003). */
  private readonly locks = new KeyedMutex();

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
   * with this id is applying or done. `job` is the attempt to apply, when there is one.
   */
  async start(job: { _id: string; municipalityId: string; actor: string; payload: P }): Promise<{ outcome: 'started' | 'restarted'; job: ImportJob<P, C> } | { outcome: 'exists' }> {
    const now = this.clock();
    const fresh: ImportJob<P, C> = { ...job, status: 'applying', startedAt: now, attempts: 1, attemptId: randomUUID(), leaseUntil: this.leaseFrom(now) };
    try {
      await this.collection.insertOne(fresh as OptionalUnlessRequiredId<ImportJob<P, C>>);
      return { outcome: 'started', job: fresh };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const { _id, ...rest } = fresh;
    const restarted = await this.locks.run(_id, () =>
      this.collection.updateOne(
        { _id, status: 'failed' } as Filter<ImportJob<P, C>>,
        { $set: rest, $unset: { finishedAt: '', counts: '', lastFailure: '', backingOff: '' } } as UpdateFilter<ImportJob<P, C>>,
      ),
    );
    return restarted.modifiedCount === 1 ? { outcome: 'restarted', job: fresh } : { outcome: 'exists' };
  }

  /**
   * Takes over an applying job that no attempt holds (its lease ran out), counting the attempt;
   * with `takeOver` (the same file sent again) also one waiting out a back-off. Null when it is
   * done, failed or held.
   */
  async claim(id: string, options: { takeOver?: boolean } = {}): Promise<ImportJob<P, C> | null> {
    const now = this.clock();
    const free = this.free(now);
    // Only an applying job: a finished or failed one has no lease either, and must not be taken up again.
    const filter = options.takeOver ? { _id: id, status: 'applying', $or: [...free.$or, { backingOff: true }] } : { _id: id, status: 'applying', ...free };
    const claimed = await this.locks.run(id, () =>
      this.collection.findOneAndUpdate(
        filter as Filter<ImportJob<P, C>>,
        { $set: { attemptId: randomUUID(), leaseUntil: this.leaseFrom(now) }, $unset: { backingOff: '' }, $inc: { attempts: 1 } } as UpdateFilter<ImportJob<P, C>>,
        { returnDocument: 'after' },
      ),
    );
    return (claimed as ImportJob<P, C> | null) ?? null;
  }

  /**
   * Applies a job whose attempt is held here (from `start` or `claim`), its lease renewed while
   * `apply` runs: the job done with its counts, or the failure recorded. `apply` may look at its
   * lease between rows and stop with AttemptLost once it is gone, or AttemptStopped when the
   * process stops.
   */
  async attempt(job: ImportJob<P, C>, apply: Apply<P, C>): Promise<AttemptOutcome<C>> {
    let held = true;
    const heartbeat = setInterval(() => {
      this.renew(job).then(
        (kept) => (held &&= kept),
        // A renewal the store refused is tried again at the next beat; the lease still has time.
        () => undefined,
      );
    }, this.policy.heartbeatMs);
    heartbeat.unref();
    let counts: C;
    try {
      counts = await apply(job, { held: () => held });
    } catch (error) {
      if (error instanceof AttemptLost) return { status: 'lost' };
      if (error instanceof AttemptStopped) return (await this.handBack(job)) ? { status: 'stopped' } : { status: 'lost' };
      const ended = await this.failed(job, error);
      return ended === 'lost' ? { status: 'lost' } : { status: ended, error, attempts: job.attempts ?? 1 };
    } finally {
      clearInterval(heartbeat);
    }
    return (await this.finish(job, counts)) ? { status: 'done', counts } : { status: 'lost' };
  }

  /**
   * Applies a job in the request that brought its file, for services that answer an import when
   * it is applied: a new job; a failed one started anew; or one that no attempt holds (a request
   * that failed and waits out its back-off, a process that stopped), taken over. Answers the
   * job done (`repeated` when an earlier attempt or request did it), or `busy` with the end of
   * the lease another attempt holds. A failed attempt is recorded and its error thrown.
   */
  async applyNow(job: { _id: string; municipalityId: string; actor: string; payload: P }, apply: () => Promise<C>, logger: Logger): Promise<{ status: 'done'; counts: C; repeated: boolean } | { status: 'busy'; until: Date }> {
    const answered = (stored: ImportJob<P, C> | null) => (stored?.status === 'done' ? { status: 'done' as const, counts: stored.counts as C, repeated: true } : null);
    const done = answered(await this.get(job._id));
    if (done) return done;
    const started = await this.start(job);
    const held = started.outcome === 'exists' ? await this.claim(job._id, { takeOver: true }) : started.job;
    const busy = async () => {
      const current = await this.get(job._id);
      return answered(current) ?? { status: 'busy' as const, until: current?.leaseUntil ?? this.clock() };
    };
    if (!held) return busy();
    const outcome = await this.attempt(held, () => apply());
    logOutcome(logger, held, outcome);
    if (outcome.status === 'done') return { status: 'done', counts: outcome.counts, repeated: false };
    if (outcome.status === 'lost' || outcome.status === 'stopped') return busy();
    throw outcome.error;
  }

  /**
   * Claims and applies the due jobs one after the other (an import is large: two at once would
   * only contend for the store), leaving those `skip` names; answers how many it attempted.
   */
  async resume(apply: Apply<P, C>, logger: Logger, options: ResumeOptions = {}): Promise<number> {
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

  /** Applying jobs that no attempt holds: stopped half-way, or waiting out a back-off that has passed. */
  due(): Promise<ImportJob<P, C>[]> {
    return this.collection.find({ status: 'applying', ...this.free(this.clock()) } as Filter<ImportJob<P, C>>).toArray() as Promise<ImportJob<P, C>[]>;
  }

  /** Keeps the attempt's lease; false once another attempt holds the job (or it ended). */
  private async renew(job: ImportJob<P, C>): Promise<boolean> {
    return this.ofAttempt(job, { $set: { leaseUntil: this.leaseFrom(this.clock()) } });
  }

  /**
   * Marks a job done and drops its payload: nothing it held outlives the import. Only by the
   * attempt that holds it: an attempt that lost its lease does not overwrite the end another writes.
   */
  private async finish(job: ImportJob<P, C>, counts: C): Promise<boolean> {
    return this.ofAttempt(job, { $set: { status: 'done', finishedAt: this.clock(), counts }, $unset: { payload: '', leaseUntil: '', attemptId: '' } });
  }

  /**
   * Records a failed attempt: the job waits out its back-off before another attempt may claim
   * it, or, at its last attempt, ends as failed with its payload dropped.
   */
  private async failed(job: ImportJob<P, C>, error: unknown): Promise<'retry' | 'failed' | 'lost'> {
    const now = this.clock();
    const attempts = job.attempts ?? 1;
    const lastFailure = { at: now, error: errorKind(error) };
    const last = attempts >= this.policy.maxAttempts;
    const wait = Math.min(this.policy.backoffMs * 2 ** (attempts - 1), this.policy.maxBackoffMs);
    const ended = await this.ofAttempt(
      job,
      last
        ? { $set: { status: 'failed', finishedAt: now, lastFailure }, $unset: { payload: '', leaseUntil: '', attemptId: '' } }
        : { $set: { leaseUntil: new Date(now.getTime() + wait), backingOff: true, lastFailure }, $unset: { attemptId: '' } },
    );
    if (!ended) return 'lost';
    return last ? 'failed' : 'retry';
  }

  /** Gives a stopped attempt back at once, uncounted: the next start takes the job up. */
  private async handBack(job: ImportJob<P, C>): Promise<boolean> {
    return this.ofAttempt(job, { $set: { leaseUntil: this.clock() }, $unset: { attemptId: '' }, $inc: { attempts: -1 } });
  }

  /** Writes to the job only while this attempt holds it; false when another does (or it ended). */
  private async ofAttempt(job: ImportJob<P, C>, update: object): Promise<boolean> {
    const written = await this.locks.run(job._id, () => this.collection.updateOne({ _id: job._id, status: 'applying', attemptId: job.attemptId } as Filter<ImportJob<P, C>>, update as UpdateFilter<ImportJob<P, C>>));
    return written.matchedCount === 1;
  }

  private leaseFrom(now: Date): Date {
    return new Date(now.getTime() + this.policy.leaseMs);
  }

  private free(now: Date): { $or: Filter<ImportJob<P, C>>[] } {
    // Jobs stored before leases have none: they are due as they were before.
    return { $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lte: now } }] as Filter<ImportJob<P, C>>[] };
  }
}

/** One line per attempt: done, stopped or lost at info, a retry at warn, the last failure at error; no payload. */
export function logOutcome<C>(logger: Logger, job: { _id: string; attempts?: number }, outcome: AttemptOutcome<C>): void {
  const at = { jobId: job._id, attempt: job.attempts ?? 1 };
  if (outcome.status === 'done') logger.info({ ...at, counts: outcome.counts }, 'import job applied');
  else if (outcome.status === 'stopped') logger.info(at, 'an import job attempt stopped with its process; the next start takes it up');
  else if (outcome.status === 'lost') logger.warn(at, 'an import job attempt lost its lease to another attempt, which finishes the job');
  else if (outcome.status === 'retry') logger.warn({ ...at, err: outcome.error }, 'an import job attempt failed; it is tried again after its back-off');
  else logger.error({ ...at, err: outcome.error }, 'an import job failed at its last attempt; its file must be sent again');
}
