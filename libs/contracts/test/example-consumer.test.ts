// The example consumer for other municipal systems (examples/event-consumer), run as its own
// process against the real broker: it prints valid events, reports invalid ones and exits 1
// for them, skips event types it does not know, and accepts newer fields only when told to.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CLOUDEVENTS_CONTENT_TYPE, EventFactory, HEADERS, KafkajsTransport, type SporEvent } from '@spor/events';
import { quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { contractRegistry } from '../src/index.js';
import { REPO_ROOT } from './code-topics.js';

const CONSUMER = join(REPO_ROOT, 'examples', 'event-consumer', 'consume.mjs');
const { brokers } = testInfra();
let transport: KafkajsTransport;

beforeAll(() => {
  transport = new KafkajsTransport({ clientId: 'example-consumer-test', brokers, logger: quietLogger() });
});
afterAll(async () => {
  await transport.close();
});

interface Run {
  code: number | null;
  printed: { event: SporEvent }[];
  reported: { invalid?: true; skipped?: string; id?: string; problems?: string[] }[];
}

/** Runs the example to completion (it stops after --max-events); fails after the time-out. */
function consume(args: string[], timeoutMs = 40_000): Promise<Run> {
  const child = spawn(process.execPath, [CONSUMER, '--brokers', brokers.join(','), '--group', uniqueName('example-consumer'), '--from-beginning', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the example consumer did not finish in ${timeoutMs} ms; stderr:\n${err}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      resolve({ code, printed: lines(out), reported: lines(err) });
    });
  });
}

describe('example event consumer', () => {
  test('prints the valid event, reports the invalid ones with their problems and exits 1; skips unknown types', async () => {
    const topic = uniqueName('example-consumer');
    await transport.ensureTopics([{ topic, partitions: 1 }]);
    const childId = randomUUID();
    const consentId = randomUUID();
    const granted = new EventFactory('consent', contractRegistry()).create('dk.spor.consent.consent.granted.v1', {
      subject: consentId,
      partitionKey: childId,
      municipalityId: '510',
      aggregateVersion: 2,
      data: { consentId, childId, purposeId: 'handover', purposeVersion: 1, scope: {}, valid: true },
    });
    // Deliberately broken or new events, sent raw (the outbox would refuse the broken one).
    const broken = { ...granted, id: randomUUID(), data: { ...granted.data, purposeVersion: 'one' } };
    const newer = { ...granted, id: randomUUID(), data: { ...granted.data, grantedVia: 'mitid' } };
    const unknown = { ...granted, id: randomUUID(), type: 'dk.spor.consent.consent.renewed.v1' };
    await transport.send(
      [granted, broken, newer, unknown].map((event) => ({ topic, key: childId, value: JSON.stringify(event), headers: { [HEADERS.contentType]: CLOUDEVENTS_CONTENT_TYPE } })),
    );

    const [strict, tolerant, firstOnly] = await Promise.all([
      consume(['--topic', topic, '--max-events', '4']),
      consume(['--topic', topic, '--max-events', '4', '--allow-unknown-fields']),
      consume(['--topic', topic, '--max-events', '1']),
    ]);

    expect(strict.code).toBe(1);
    expect(strict.printed.map((p) => p.event)).toEqual([granted]);
    const invalid = strict.reported.filter((r) => r.invalid);
    expect(invalid.map((r) => r.id)).toEqual([broken.id, newer.id]);
    expect(invalid[0]!.problems!.join()).toMatch(/data\/purposeVersion must be integer/);
    expect(invalid[1]!.problems!.join()).toMatch(/grantedVia/);
    expect(strict.reported.filter((r) => r.skipped).map((r) => r.id)).toEqual([unknown.id]);

    // With an older copy of the schemas a consumer may accept fields it does not know yet.
    expect(tolerant.code).toBe(1);
    expect(tolerant.printed.map((p) => p.event.id)).toEqual([granted.id, newer.id]);
    expect(tolerant.reported.filter((r) => r.invalid).map((r) => r.id)).toEqual([broken.id]);

    expect(firstOnly.code).toBe(0);
    expect(firstOnly.printed.map((p) => p.event.id)).toEqual([granted.id]);
  });

  test('a usage error exits 2 and says what is missing', async () => {
    const run = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, [CONSUMER], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => resolve({ code, err }));
    });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--topic is required/);
  });
});
