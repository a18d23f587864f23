// The foundation as a whole, run as a service would be: configuration errors stop the
// process naming the variable, readiness follows the database and the broker, and SIGTERM
// lets the event in hand finish and be committed before the process exits.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { topicFor } from '@spor/events';
import { quietLogger, testInfra, uniqueName, waitFor } from '@spor/testkit';
import { freePort, repoRoot, startFerret, startKafka, type FerretInstance, type KafkaInstance } from '../../deploy/local/infra-lib.js';
import { startReferenceService, type RunningService } from '../fixtures/reference-service/service.js';

const mainScript = join(repoRoot, 'test/fixtures/reference-service/main.ts');
const { brokers, mongoUrl } = testInfra();

function runMain(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, ['--conditions=spor-source', '--import', 'tsx', mainScript], {
    // The run's topic namespace too (jest.config.mjs): the child's topics are the test run's.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...(process.env.SPOR_TOPIC_NAMESPACE ? { SPOR_TOPIC_NAMESPACE: process.env.SPOR_TOPIC_NAMESPACE } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

describe('configuration', () => {
  test.each([
    ['MONGO_URL is missing', { KAFKA_BROKERS: '127.0.0.1:9092' }, 'MONGO_URL: is required but not set'],
    ['KAFKA_BROKERS is malformed', { MONGO_URL: 'mongodb://127.0.0.1:27017', KAFKA_BROKERS: 'kafka' }, 'KAFKA_BROKERS: must be a comma-separated list of host:port'],
    ['PORT is not a number', { MONGO_URL: 'mongodb://127.0.0.1:27017', KAFKA_BROKERS: '127.0.0.1:9092', PORT: 'http' }, 'PORT: must be a port number'],
  ])('when %s, then the process exits 78 naming the variable', async (_what, env, message) => {
    const run = runMain(env);
    const { code } = await run.exited;
    expect(code).toBe(78);
    expect(run.output()).toContain('reference: invalid configuration, not starting:');
    expect(run.output()).toContain(message);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });
});

describe('readiness with a private broker and store', () => {
  let dir: string;
  let kafka: KafkaInstance;
  let ferret: FerretInstance;
  let kafkaPorts: { port: number; controllerPort: number };
  let ferretPort: number;
  let postgresPort: number;
  let service: RunningService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spor-readiness-'));
    // PostgreSQL runs as its own user when the tests run as root; it must reach its data dir.
    chmodSync(dir, 0o755);
    kafkaPorts = { port: await freePort(), controllerPort: await freePort() };
    ferretPort = await freePort();
    postgresPort = await freePort();
    [kafka, ferret] = await Promise.all([
      startKafka({ dir: join(dir, 'kafka'), ...kafkaPorts, heap: '256m' }),
      startFerret({ dir: join(dir, 'ferretdb'), port: ferretPort, postgresPort }),
    ]);
    service = await startReferenceService(
      { MONGO_URL: ferret.url, KAFKA_BROKERS: kafka.brokers, PORT: '0', REFERENCE_EVENT_SERVICE: uniqueName('ready'), SHUTDOWN_TIMEOUT_MS: '20000' },
      quietLogger(),
    );
  }, 180_000);

  afterAll(async () => {
    await service?.runtime.shutdown().catch(() => undefined);
    await Promise.all([kafka?.stop(), ferret?.stopAll()]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const readiness = async () => {
    const res = await fetch(`${service.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, { status: string }> } };
  };

  test('when the store stops, then not ready; when it returns, then ready again', async () => {
    expect((await readiness()).status).toBe(200);
    await ferret.stop();
    const down = await waitFor('not ready', async () => {
      const r = await readiness();
      return r.status === 503 && r;
    });
    expect(down.body.checks).toMatchObject({ database: { status: 'down' }, kafka: { status: 'up' } });
    ferret = await startFerret({ dir: join(dir, 'ferretdb'), port: ferretPort, postgresPort });
    await waitFor('ready again', async () => (await readiness()).status === 200, 30_000);
  }, 90_000);

  test('when the broker stops, then not ready; when it returns, then ready again', async () => {
    await kafka.stop();
    const down = await waitFor('not ready', async () => {
      const r = await readiness();
      return r.status === 503 && r;
    });
    expect(down.body.checks).toMatchObject({ database: { status: 'up' }, kafka: { status: 'down' } });
    kafka = await startKafka({ dir: join(dir, 'kafka'), ...kafkaPorts, heap: '256m' });
    await waitFor('ready again', async () => (await readiness()).status === 200, 60_000);
  }, 150_000);
});

describe('local infrastructure', () => {
  test('when the store port is taken by another program, then starting says which variable to change', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const dir = mkdtempSync(join(tmpdir(), 'spor-port-'));
    try {
      await expect(startFerret({ dir, port, backend: 'sqlite' })).rejects.toThrow(`port ${port} is taken by another program; free it, set SPOR_MONGO_PORT, or point MONGO_URL at a running MongoDB`);
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('graceful shutdown', () => {
  test('when SIGTERM arrives while an event is being handled, then it finishes, its offset is committed and the process exits 0', async () => {
    const eventService = uniqueName('shutdown');
    const groupId = uniqueName('shutdown-group');
    const run = runMain({
      MONGO_URL: mongoUrl,
      KAFKA_BROKERS: brokers.join(','),
      PORT: String(await freePort()),
      REFERENCE_EVENT_SERVICE: eventService,
      REFERENCE_DB_NAME: uniqueName('shutdown-db'),
      REFERENCE_GROUP_ID: groupId,
      REFERENCE_HANDLER_DELAY_MS: '1500',
      LOG_LEVEL: 'info',
    });
    const url = (await waitFor('service ready', () => /ready (http\S+)/.exec(run.output())?.[1], 60_000)) as string;
    const counterId = randomUUID();

    const bad = await fetch(`${url}/counters/${counterId}/increments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 0 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors.map((e) => e.field).sort()).toEqual(['amount', 'municipalityId']);

    const created = await fetch(`${url}/counters/${counterId}/increments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 5, municipalityId: '510' }) });
    expect(created.status).toBe(201);
    // The handler takes 1.5 s; stop the process while it is in the middle of it.
    await waitFor('the handler to start', () => run.output().includes('projecting counter event'), 30_000, 20);
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(0);

    const admin = new Kafka({ clientId: 'shutdown-test', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topic = topicFor(eventService, 'counter');
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const high = await admin.fetchTopicOffsets(topic);
      const total = (list: { offset?: string; high?: string }[]) => list.reduce((n, p) => n + Math.max(0, Number(p.high ?? p.offset)), 0);
      expect(total(committed!.partitions)).toBe(1);
      expect(total(high)).toBe(1);
    } finally {
      await admin.disconnect();
    }
  }, 120_000);
});
