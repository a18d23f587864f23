// Import jobs against the real document store, with a clock the test moves: the lease an
// attempt holds, the back-off after a failed one, the end as failed after the last, and the
// same file starting anew after that.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MongoClient, MongoServerError, type Collection } from 'mongodb';
import { memoryLogger, testInfra, uniqueName } from '@spor/testkit';
import { AttemptStopped, errorKind, ImportJobs, type ImportJob } from '../src/index.js';

type Job = ImportJob<{ rows: number[] }, { applied: number }>;
const { mongoUrl } = testInfra();
const dbName = uniqueName('import-jobs-test');
let client: MongoClient;
let collection: Collection<Job>;
let now = new Date('2026-12-07T10:00:00Z');
const later = (ms: number) => (now = new Date(now.getTime() + ms));
const policy = { leaseMs: 60_000, maxAttempts: 3, backoffMs: 10_000, maxBackoffMs: 15_000 };
let jobs: ImportJobs<{ rows: number[] }, { applied: number }>;
const file = (id: string) => ({ _id: id, municipalityId: '510', actor: 'importer', payload: { rows: [1, 2, 3] } });
const refused = async (): Promise<never> => {
  throw new TypeError('row 2 holds 0102031234'); // a message that must not be kept
};
const applied = async (job: Job) => ({ applied: job.payload!.rows.length });

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
    expect(await jobs.start(file('a'))).toBe('started');
    expect(await jobs.start(file('a'))).toBe('exists');
    expect(await jobs.get('a')).toMatchObject({ status: 'applying', attempts: 1, leaseUntil: new Date(now.getTime() + 60_000) });
    expect(jobs.leaseEnds((await jobs.get('a'))!)).toEqual(new Date(now.getTime() + 60_000));
    expect((await jobs.due()).map((j) => j._id)).not.toContain('a');
    expect(await jobs.claim('a')).toBeNull();

    later(60_000);
    expect((await jobs.due()).map((j) => j._id)).toContain('a');
    expect(await jobs.claim('a')).toMatchObject({ _id: 'a', attempts: 2 });
    expect(await jobs.claim('a')).toBeNull();
    expect(await jobs.attempt((await jobs.get('a'))!, applied)).toEqual({ status: 'done', counts: { applied: 3 } });
    const done = await jobs.get('a');
    expect(done).toMatchObject({ status: 'done', counts: { applied: 3 } });
    expect(done).not.toHaveProperty('payload');
    expect(done).not.toHaveProperty('leaseUntil');
    expect(await jobs.start(file('a'))).toBe('exists');
  });

  test('a failed attempt waits out a doubling back-off; the last one ends the job as failed, its payload dropped and the error kept as its kind only', async () => {
    expect(await jobs.start(file('b'))).toBe('started');
    const first = await jobs.attempt((await jobs.get('b'))!, refused);
    expect(first).toMatchObject({ status: 'retry', attempts: 1 });
    expect(await jobs.get('b')).toMatchObject({ status: 'applying', lastFailure: { at: now, error: 'TypeError' }, leaseUntil: new Date(now.getTime() + 10_000) });
    later(9_999);
    expect(await jobs.claim('b')).toBeNull();
    later(1);
    const second = (await jobs.claim('b'))!;
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
    expect(await jobs.claim('b')).toBeNull();

    // The file sent again once its cause is mended: the job starts anew.
    expect(await jobs.start(file('b'))).toBe('restarted');
    const restarted = await jobs.get('b');
    expect(restarted).toMatchObject({ status: 'applying', attempts: 1, payload: { rows: [1, 2, 3] } });
    expect(restarted).not.toHaveProperty('lastFailure');
    expect(restarted).not.toHaveProperty('finishedAt');
    expect(await jobs.attempt(restarted!, applied)).toEqual({ status: 'done', counts: { applied: 3 } });
    expect(await jobs.start(file('b'))).toBe('exists');
  });

  test('an attempt stopped with its process hands the job back at once, the attempt not counted', async () => {
    expect(await jobs.start(file('c'))).toBe('started');
    expect(await jobs.attempt((await jobs.get('c'))!, async () => Promise.reject(new AttemptStopped()))).toEqual({ status: 'stopped' });
    expect(await jobs.get('c')).toMatchObject({ status: 'applying', attempts: 0 });
    expect(await jobs.get('c')).not.toHaveProperty('lastFailure');
    expect(await jobs.claim('c')).toMatchObject({ attempts: 1 });
    await jobs.finish('c', { applied: 0 });
  });

  test('resume attempts the due jobs, a job stored before leases among them, and leaves the skipped and the owned', async () => {
    await collection.insertOne({ _id: 'legacy', municipalityId: '510', actor: 'importer', status: 'applying', payload: { rows: [7] }, startedAt: now });
    expect(await jobs.start(file('owned'))).toBe('started');
    expect(await jobs.start(file('skipped'))).toBe('started');
    await collection.updateOne({ _id: 'skipped' }, { $set: { leaseUntil: now } });
    const logs = memoryLogger();
    expect(await jobs.resume(applied, logs.logger, { skip: (id) => id === 'skipped' })).toBe(1);
    expect(await jobs.get('legacy')).toMatchObject({ status: 'done', attempts: 1, counts: { applied: 1 } });
    expect((await jobs.get('owned'))!.status).toBe('applying');
    expect((await jobs.get('skipped'))!.status).toBe('applying');
    expect(logs.lines()).toEqual([expect.objectContaining({ jobId: 'legacy', attempt: 1, msg: 'import job applied' })]);

    // A failure is logged as one to be tried again; the job stays for the sweep after its back-off.
    expect(await jobs.resume(refused, logs.logger)).toBe(1);
    expect(logs.lines().at(-1)).toMatchObject({ jobId: 'skipped', attempt: 2, msg: expect.stringContaining('tried again') });
    expect(await jobs.resume(applied, logs.logger)).toBe(0);
  });

  test('an error is kept as its class and driver code', () => {
    expect(errorKind(new MongoServerError({ message: 'E11000 duplicate key error: 0102031234', code: 11000 }))).toBe('MongoServerError 11000');
    expect(errorKind(new RangeError('x'))).toBe('RangeError');
    expect(errorKind('just a string')).toBe('string');
  });
});
