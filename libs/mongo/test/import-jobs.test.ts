// Import jobs against the real document store, with a clock the test moves: the lease an
// attempt holds (kept by its heartbeat), the back-off after a failed attempt, the end as failed
// after the last, the same file starting anew after that, and an attempt that lost its lease
// writing nothing over the attempt that holds the job now.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MongoClient, MongoServerError, type Collection } from 'mongodb';
import { memoryLogger, quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { AttemptLost, AttemptStopped, errorKind, ImportJobs, type ImportJob } from '../src/index.js';

type Payload = { rows: number[] };
type Counts = { applied: number };
type Job = ImportJob<Payload, Counts>;
const { mongoUrl } = testInfra();
const dbName = uniqueName('import-jobs-test');
let client: MongoClient;
let collection: Collection<Job>;
let now = new Date('2026-12-07T10:00:00Z');
const later = (ms: number) => (now = new Date(now.getTime() + ms));
const policy = { leaseMs: 60_000, heartbeatMs: 3_600_000, maxAttempts: 3, backoffMs: 10_000, maxBackoffMs: 15_000 };
let jobs: ImportJobs<Payload, Counts>;
const file = (id: string) => ({ _id: id, municipalityId: '510', actor: 'importer', payload: { rows: [1, 2, 3] } });
const refused = async (): Promise<never> => {
  throw new TypeError('row 2 holds 0102031234'); // a message that must not be kept
};
const applied = async (job: Job) => ({ applied: job.payload!.rows.length });
/** The attempt a start hands over. */
const started = async (id: string) => {
  const s = await jobs.start(file(id));
  if (s.outcome === 'exists') throw new Error(`${id} exists`);
  return s.job;
};

beforeAll(async () => {
  client = await MongoClient.connect(mongoUrl);
  collection = client.db(dbName).collection<Job>('jobs');
  jobs = new ImportJobs(collection, policy, () => now);
});

afterAll(async () => {
  await client.db(dbName).dropDatabase();
  await client.close();
});

describe('import jobs', () => {
  test('the attempt that starts a job holds its lease; once it ends, another process claims the job, counting the attempt', async () => {
    const first = await started('a');
    expect(first).toMatchObject({ status: 'applying', attempts: 1, attemptId: expect.any(String), leaseUntil: new Date(now.getTime() + 60_000) });
    expect(await jobs.start(file('a'))).toEqual({ outcome: 'exists' });
    expect((await jobs.due()).map((j) => j._id)).not.toContain('a');
    expect(await jobs.claim('a')).toBeNull();
    // A re-send takes over no attempt that holds its lease.
    expect(await jobs.claim('a', { takeOver: true })).toBeNull();

    later(60_000);
    expect((await jobs.due()).map((j) => j._id)).toContain('a');
    const second = (await jobs.claim('a'))!;
    expect(second).toMatchObject({ _id: 'a', attempts: 2 });
    expect(second.attemptId).not.toBe(first.attemptId);
    expect(await jobs.claim('a')).toBeNull();
    expect(await jobs.attempt(second, applied)).toEqual({ status: 'done', counts: { applied: 3 } });
    const done = await jobs.get('a');
    expect(done).toMatchObject({ status: 'done', counts: { applied: 3 } });
    for (const gone of ['payload', 'leaseUntil', 'attemptId']) expect(done).not.toHaveProperty(gone);
    expect(await jobs.start(file('a'))).toEqual({ outcome: 'exists' });
    // A job done meanwhile (another replica read it as due before) is not taken up again.
    expect(await jobs.claim('a')).toBeNull();
    expect(await jobs.get('a')).toMatchObject({ status: 'done', attempts: 2 });
  });

  test('a failed attempt waits out a doubling back-off; the last one ends the job as failed, its payload dropped and the error kept as its kind only', async () => {
    const first = await started('b');
    expect(await jobs.attempt(first, refused)).toMatchObject({ status: 'retry', attempts: 1 });
    expect(await jobs.get('b')).toMatchObject({ status: 'applying', backingOff: true, lastFailure: { at: now, error: 'TypeError' }, leaseUntil: new Date(now.getTime() + 10_000) });
    later(9_999);
    expect(await jobs.claim('b')).toBeNull();
    later(1);
    const second = (await jobs.claim('b'))!;
    expect(second).not.toHaveProperty('backingOff');
    expect(await jobs.attempt(second, refused)).toMatchObject({ status: 'retry', attempts: 2 });
    // Doubled, and held to the ceiling.
    expect((await jobs.get('b'))!.leaseUntil).toEqual(new Date(now.getTime() + 15_000));
    later(15_000);
    expect(await jobs.attempt((await jobs.claim('b'))!, refused)).toMatchObject({ status: 'failed', attempts: 3 });
    const failed = await jobs.get('b');
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, finishedAt: now, lastFailure: { error: 'TypeError' } });
    expect(failed).not.toHaveProperty('payload');
    expect(JSON.stringify(failed)).not.toContain('0102031234');
    later(3_600_000);
    expect((await jobs.due()).map((j) => j._id)).not.toContain('b');
    expect(await jobs.claim('b', { takeOver: true })).toBeNull();

    // The file sent again once its cause is mended: the job starts anew.
    const again = await jobs.start(file('b'));
    expect(again).toMatchObject({ outcome: 'restarted', job: { status: 'applying', attempts: 1, payload: { rows: [1, 2, 3] } } });
    const restarted = await jobs.get('b');
    for (const gone of ['lastFailure', 'finishedAt', 'backingOff']) expect(restarted).not.toHaveProperty(gone);
    expect(await jobs.attempt(restarted!, applied)).toEqual({ status: 'done', counts: { applied: 3 } });
    expect(await jobs.start(file('b'))).toEqual({ outcome: 'exists' });
  });

  test('the same file sent again during a back-off takes the job over at once: nothing applies it meanwhile', async () => {
    await jobs.attempt(await started('backoff'), refused);
    expect(await jobs.claim('backoff')).toBeNull();
    expect(await jobs.claim('backoff', { takeOver: true })).toMatchObject({ attempts: 2 });
  });

  test('an attempt that lost its lease (stalled past it) writes nothing over the attempt that holds the job now: no end, no failure, no hand-back', async () => {
    const stalled = await started('c');
    later(60_000);
    const current = (await jobs.claim('c'))!;
    expect(await jobs.attempt(stalled, applied)).toEqual({ status: 'lost' });
    expect(await jobs.attempt(stalled, refused)).toEqual({ status: 'lost' });
    expect(await jobs.attempt(stalled, () => Promise.reject(new AttemptStopped()))).toEqual({ status: 'lost' });
    expect(await jobs.get('c')).toMatchObject({ status: 'applying', attempts: 2, attemptId: current.attemptId, leaseUntil: current.leaseUntil });
    expect(await jobs.get('c')).not.toHaveProperty('lastFailure');
    expect(await jobs.attempt(current, applied)).toEqual({ status: 'done', counts: { applied: 3 } });
  });

  test('a running attempt’s heartbeat keeps its lease; an apply that finds it gone stops between rows', async () => {
    const beating = new ImportJobs<Payload, Counts>(collection, { ...policy, heartbeatMs: 20 }, () => now);
    const s = await beating.start(file('d'));
    const holder = s.outcome === 'exists' ? null : s.job;
    const pause = () => new Promise((r) => setTimeout(r, 120));
    const kept = await beating.attempt(holder!, async (_job, lease) => {
      later(50_000);
      await pause();
      // Renewed from the clock as it is now: still held, and not claimable past its first term.
      expect(lease.held()).toBe(true);
      expect((await beating.get('d'))!.leaseUntil).toEqual(new Date(now.getTime() + 60_000));
      later(60_000);
      await pause();
      expect(await beating.claim('d')).toBeNull();
      return { applied: 1 };
    });
    expect(kept).toEqual({ status: 'done', counts: { applied: 1 } });

    // An attempt that is not the holder (another process took the job over): its first beat finds out.
    const other = await started('d2');
    const outcome = await beating.attempt({ ...other, attemptId: 'taken-over' }, async (_job, lease) => {
      await pause();
      if (!lease.held()) throw new AttemptLost();
      return { applied: 1 };
    });
    expect(outcome).toEqual({ status: 'lost' });
    expect(await beating.get('d2')).toMatchObject({ status: 'applying', attemptId: other.attemptId, attempts: 1 });
  });

  test('an attempt stopped with its process hands the job back at once, the attempt not counted', async () => {
    const job = await started('e');
    expect(await jobs.attempt(job, async () => Promise.reject(new AttemptStopped()))).toEqual({ status: 'stopped' });
    expect(await jobs.get('e')).toMatchObject({ status: 'applying', attempts: 0 });
    expect(await jobs.get('e')).not.toHaveProperty('lastFailure');
    expect(await jobs.get('e')).not.toHaveProperty('attemptId');
    const next = (await jobs.claim('e'))!;
    expect(next).toMatchObject({ attempts: 1 });
    await jobs.attempt(next, applied);
  });

  test('resume attempts the due jobs, a job stored before leases among them, and leaves the skipped and the held', async () => {
    // Only this test's jobs.
    await collection.deleteMany({ status: 'applying' });
    await collection.insertOne({ _id: 'legacy', municipalityId: '510', actor: 'importer', status: 'applying', payload: { rows: [7] }, startedAt: now });
    await started('held');
    await started('skipped');
    await collection.updateOne({ _id: 'skipped' }, { $set: { leaseUntil: now } });
    const logs = memoryLogger();
    expect(await jobs.resume(applied, logs.logger, { skip: (id) => id === 'skipped' })).toBe(1);
    expect(await jobs.get('legacy')).toMatchObject({ status: 'done', attempts: 1, counts: { applied: 1 } });
    expect((await jobs.get('held'))!.status).toBe('applying');
    expect((await jobs.get('skipped'))!.status).toBe('applying');
    expect(logs.lines()).toEqual([expect.objectContaining({ jobId: 'legacy', attempt: 1, msg: 'import job applied' })]);

    // A failure is logged as one to be tried again; the job stays for the sweep after its back-off.
    expect(await jobs.resume(refused, logs.logger)).toBe(1);
    expect(logs.lines().at(-1)).toMatchObject({ jobId: 'skipped', attempt: 2, msg: expect.stringContaining('tried again') });
    expect(await jobs.resume(applied, logs.logger)).toBe(0);
  });

  test('applied in the request: a new job, a held one answered busy until its lease ends, a failure thrown and recorded, then taken over by the file sent again', async () => {
    const quiet = quietLogger();
    expect(await jobs.applyNow(file('f'), async () => ({ applied: 9 }), quiet)).toEqual({ status: 'done', counts: { applied: 9 }, repeated: false });
    expect(await jobs.applyNow(file('f'), async () => ({ applied: 0 }), quiet)).toEqual({ status: 'done', counts: { applied: 9 }, repeated: true });
    const other = await started('g');
    expect(await jobs.applyNow(file('g'), async () => ({ applied: 0 }), quiet)).toEqual({ status: 'busy', until: other.leaseUntil });
    later(60_000);
    await expect(jobs.applyNow(file('g'), refused, quiet)).rejects.toThrow(TypeError);
    expect(await jobs.get('g')).toMatchObject({ backingOff: true, attempts: 2 });
    expect(await jobs.applyNow(file('g'), async () => ({ applied: 3 }), quiet)).toEqual({ status: 'done', counts: { applied: 3 }, repeated: false });
  });

  test('an error is kept as its class and driver code', () => {
    expect(errorKind(new MongoServerError({ message: 'E11000 duplicate key error: 0102031234', code: 11000 }))).toBe('MongoServerError 11000');
    expect(errorKind(new RangeError('x'))).toBe('RangeError');
    expect(errorKind('just a string')).toBe('string');
  });
});
