// bench:assessments: completing assessments through the HTTP API, against a baseline measured
// in the same run on the same store: a bare express + mongoose handler inserting the same
// document. Both are driven by the same client pool, in alternating rounds; the ratio is
// assessments / baseline.
//   assessments: token check, access from the enrollment projection, instrument lookup,
//                server-side scoring, the aggregate with its events, the audit entry
//   baseline:    JSON body in, one insertOne of the same document, 201 out
//   guarantees:  not the target's baseline, printed beside it: the same bare handler doing by hand,
//                one request at a time, the writes Spor's guarantees take (the document with its
//                event, an audit entry, both events sent to Kafka, the document's outbox mark
//                cleared and the audit chain's shipped mark moved), to
//                show how much of the gap is those writes on this store and how much is Spor
//   without its guarantees: not product settings, and not the target's measure: the same
//                service with the audit entry, the event, or both switched off in this process
//                only (their methods replaced during that side's rounds), to show what Spor's own
//                path (HTTP, token, access, scoring, the document) costs beside each guarantee
// BENCH_COUNT_COMMANDS=1 also prints the store commands each request costs on both sides.
// It publishes real events (about 1,700 per run) to topics of its own, `bench.spor....`, so the
// tests that replay the shared topics from the start do not replay the bench's events too.
import './topic-namespace.js';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import mongoose from 'mongoose';
import { loadavg } from 'node:os';
import { BSON, MongoClient } from 'mongodb';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { DIRECTORY_EVENTS, DirectoryView } from '@spor/directory';
import { EventFactory, KeyedMutex, type OutboxRelay, type SporEvent } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { testInfra, uniqueName } from '@spor/testkit';
import { AuditLog } from '@spor/audit';
import { cpuNow, cpuPerRequest, NO_CPU, type CpuGroups } from './process-cpu.js';
import { startIdentity } from '../../services/identity/src/service.js';
import { issueAccessToken } from '../../services/identity/src/domain/access-token.js';
import { startAssessments } from '../../services/assessments/src/service.js';
import { AssessmentRepository } from '../../services/assessments/src/store/assessment-repository.js';
import type { Assessment } from '../../services/assessments/src/domain/assessment.js';

const { brokers, mongoUrl } = testInfra();
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'error' });
const REQUESTS = Number(process.env.BENCH_ASSESSMENTS ?? 1_500);
const WARMUP = 100;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CHILDREN = 200;
const ANSWERS = { hopper: 2, balance: 2, kaster: 1, trapper: 2, loeber: 2, blyant: 1, klipper: 1, perler: 2, tegner: 1, knapper: 1 };

interface Run {
  perSecond: number;
  p50: number;
  p99: number;
}

interface Driven {
  latencies: number[];
  elapsed: number;
}

async function drive(total: number, send: (i: number) => Promise<Response>): Promise<Driven> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const res = await send(i);
        if (res.status !== 201) throw new Error(`request ${i} answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, elapsed: performance.now() - started };
}

// A shared 2-core machine drifts (PostgreSQL's autovacuum, the broker's log cleaner, whatever
// else runs): measured one after the other, the sides would see different machines, and a
// run's baseline moved by a third between runs. So the sides are driven in alternating rounds,
// and each side's figures come from all its rounds together.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
interface Side {
  latencies: number[];
  elapsed: number;
  requests: number;
  cpu: CpuGroups;
  /** Requests per second in each round: the sides' rounds alternate, so round n of two sides saw the same machine. */
  perRound: number[];
}
const newSide = (): Side => ({ latencies: [], elapsed: 0, requests: 0, cpu: { ...NO_CPU }, perRound: [] });
/** Whether the store commands seen now belong to a measured phase. */
let counting = false;

async function phase(side: Side, requests: number, send: (i: number) => Promise<Response>, options: { settleMs?: number; count?: boolean } = {}): Promise<void> {
  const before = cpuNow();
  counting = options.count ?? false;
  const run = await drive(requests, (i) => send(side.requests + i));
  // Work a request leaves behind (the relay publishing and clearing its events) belongs to it.
  if (options.settleMs) await new Promise((r) => setTimeout(r, options.settleMs));
  counting = false;
  const after = cpuNow();
  side.latencies.push(...run.latencies);
  side.elapsed += run.elapsed;
  side.perRound.push((requests / run.elapsed) * 1000);
  side.requests += requests;
  for (const k of Object.keys(after) as (keyof CpuGroups)[]) side.cpu[k] += after[k] - before[k];
}

function summarise(side: Side): Run {
  const sorted = [...side.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { perSecond: (side.requests / side.elapsed) * 1000, p50: at(0.5), p99: at(0.99) };
}

const b64 = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
// BENCH_COUNT_COMMANDS=1: the driver reports every store command, counted per database and
// command name, to show the round trips one request costs on each side.
const COUNT = process.env.BENCH_COUNT_COMMANDS === '1';
const storeUrl = COUNT ? `${mongoUrl}${mongoUrl.includes('?') ? '&' : '/?'}monitorCommands=true` : mongoUrl;
const commands = new Map<string, number>();
const watched = new WeakSet<object>();
function watchCommands(): void {
  for (const c of mongoose.connections) {
    const driver = c.getClient?.();
    if (!driver || watched.has(driver)) continue;
    watched.add(driver);
    driver.on('commandStarted', (e) => {
      if (!counting) return;
      // Named with its collection: `find persons`, `update assessments`.
      const target = e.command[e.commandName];
      const key = `${e.databaseName}.${e.commandName}${typeof target === 'string' ? ` ${target}` : ''}`;
      commands.set(key, (commands.get(key) ?? 0) + 1);
    });
  }
}
function commandsPerRequest(db: string, requests: number): string {
  return [...commands].filter(([k]) => k.startsWith(`${db}.`)).map(([k, n]) => `${k.slice(db.length + 1)} ${(n / requests).toFixed(2)}`).join(', ');
}
const common = { MONGO_URL: storeUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', LOG_LEVEL: 'error' };
const identityDb = uniqueName('bench-identity');
const identity = await startIdentity({ ...common, IDENTITY_DB_NAME: identityDb, IDENTITY_CONSUMER_GROUP: uniqueName('bench-identity'), TOKEN_ISSUER: 'https://identity.spor.bench', SIGNING_KEY_SEAL_KEY: `s:${b64()}`, CPR_ENCRYPTION_KEYS: `c:${b64()}`, CPR_ENCRYPTION_ACTIVE_KEY: 'c', CPR_LOOKUP_KEY: `l:${b64()}` }, logger);
const dbName = uniqueName('bench-assessments');
const assessments = await startAssessments({ ...common, ASSESSMENTS_DB_NAME: dbName, ASSESSMENTS_CONSUMER_GROUP: uniqueName('bench'), TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` }, { logger });

// The directory as assessments would have it from events: a tree, and children placed in the institution.
const client = await MongoClient.connect(mongoUrl);
const directory = new DirectoryView(client.db(dbName), ['persons', 'units', 'enrollments']);
const handlers = directory.handlers();
const event = (type: string, subject: string, data: Record<string, unknown>) => ({ type, subject, aggregateversion: 1, municipalityid: '510', data }) as unknown as SporEvent;
const apply = (e: SporEvent) => handlers[e.type]!(e, {} as never);
const [mun, district, institution, group] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
await apply(event(DIRECTORY_EVENTS.unitCreated, mun, { unitId: mun, kind: 'municipality', parentId: null }));
await apply(event(DIRECTORY_EVENTS.unitCreated, district, { unitId: district, kind: 'district', parentId: mun }));
await apply(event(DIRECTORY_EVENTS.unitCreated, institution, { unitId: institution, kind: 'institution', parentId: district, institutionType: 'boernehave' }));
await apply(event(DIRECTORY_EVENTS.unitCreated, group, { unitId: group, kind: 'group', parentId: institution }));
const children = Array.from({ length: CHILDREN }, () => randomUUID());
for (const childId of children) {
  // Five years old whenever the bench runs: inside the motor-skills instrument's ages.
  await apply(event(DIRECTORY_EVENTS.personRegistered, childId, { personId: childId, kind: 'child', birthYear: new Date().getUTCFullYear() - 5, birthMonth: 4 }));
  await apply(event(DIRECTORY_EVENTS.enrolled, childId, { childId, placementId: randomUUID(), institutionId: institution, institutionType: 'boernehave', groupId: group, from: '2024-01-01', to: null }));
}
const { token } = await issueAccessToken(identity.keys(), { issuer: identity.config.TOKEN_ISSUER, audience: identity.config.TOKEN_AUDIENCE, ttlSeconds: 3600 }, { personId: randomUUID(), kind: 'staff', municipalityId: '510', roles: [{ role: 'educator', unitId: group }] }, new Date());
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

// The baselines: bare express + mongoose handlers, one insertOne each.
//   same document: what the issue asks, the document POST /assessments inserts (the finished
//                  assessment with its pending event, built below by assessments' own repository
//                  from one it stored), with the request's child and answers
//   request fields: the bench's first baseline, the request body with a status and results
//                  (a smaller document), printed for comparison with earlier figures
const baselineDb = uniqueName('bench-baseline');
const connection = await mongoose.createConnection(storeUrl, { dbName: baselineDb }).asPromise();
await connection.createCollection('assessments');
await connection.createCollection('small');
await connection.createCollection('template');
const Baseline = connection.model('Assessment', new mongoose.Schema({ _id: String }, { strict: false, versionKey: false }), 'assessments');
const Small = connection.model('Small', new mongoose.Schema({ _id: String }, { strict: false, versionKey: false }), 'small');
let template: Record<string, unknown> = {};
const app = express();
app.use(express.json());
app.post('/assessments', async (req, res) => {
  await Baseline.collection.insertOne({ ...template, _id: randomUUID() as never, target: { kind: 'child', childId: req.body.childId }, answers: req.body.answers });
  res.status(201).json({ ok: true });
});
app.post('/small', async (req, res) => {
  await Small.collection.insertOne({ _id: randomUUID() as never, ...req.body, status: 'completed', results: [{ section: 'grovmotorik', score: 9, category: 'as-expected' }, { section: 'finmotorik', score: 6, category: 'watch' }], completedAt: new Date().toISOString() });
  res.status(201).json({ ok: true });
});
// The guarantees baseline: the writes, sent one after the other by the request itself.
const guardedDb = uniqueName('bench-guarded');
const guardedConnection = await mongoose.createConnection(storeUrl, { dbName: guardedDb }).asPromise();
await guardedConnection.createCollection('assessments');
await guardedConnection.createCollection('audit_log');
await guardedConnection.createCollection('audit_chains');
await guardedConnection.collection('audit_chains').insertOne({ _id: 'by-hand' as never, seq: 0, shipped: 0 });
const guardedTopic = `bench.guarded-baseline.${randomUUID().slice(0, 8)}`;
const kafka = new Kafka({ clientId: 'bench-guarded', brokers, logLevel: logLevel.NOTHING });
const kafkaAdmin = kafka.admin();
await kafkaAdmin.connect();
await kafkaAdmin.createTopics({ topics: [{ topic: guardedTopic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
// As Spor's transport sends: idempotent, acks from all in-sync replicas.
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
let auditTemplate: Record<string, unknown> = {};
const guardedAggregates = guardedConnection.collection('assessments');
const guardedAudit = guardedConnection.collection('audit_log');
const guardedChains = guardedConnection.collection('audit_chains');
let guardedSeq = 0;
app.post('/guarded', async (req, res) => {
  const [id, entryId] = [randomUUID(), randomUUID()];
  const doc = { ...template, _id: id as never, target: { kind: 'child', childId: req.body.childId }, answers: req.body.answers };
  await guardedAggregates.insertOne(doc);
  const seq = ++guardedSeq;
  await guardedAudit.insertOne({ ...auditTemplate, _id: entryId as never, seq });
  const events = [...(template.pendingEvents as { event: unknown }[]).map((p) => p.event), { type: 'access', data: auditTemplate }];
  await producer.send({ topic: guardedTopic, acks: -1, messages: events.map((event) => ({ key: req.body.childId, value: JSON.stringify(event) })) });
  const marks = [
    await guardedAggregates.updateOne({ _id: id as never, outboxSeq: 1 }, { $set: { pendingEvents: [], hasPending: false } }),
    await guardedChains.updateOne({ _id: 'by-hand' as never }, { $set: { shipped: seq } }),
  ];
  // A clear that matched nothing would be a cheaper request than Spor's: the run stops instead.
  if (marks.some((m) => m.modifiedCount !== 1)) return res.status(500).json({ error: 'an outbox mark was not cleared' });
  res.status(201).json({ ok: true });
});
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const baselineUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const body = (i: number) => JSON.stringify({ instrumentId: 'motorik', childId: children[i % CHILDREN], complete: true, answers: ANSWERS });
const toAssessments = (i: number) => fetch(`${assessments.url}/assessments`, { method: 'POST', headers, body: body(i) });
const toBaseline = (i: number) => fetch(`${baselineUrl}/assessments`, { method: 'POST', headers, body: body(i) });
const toSmall = (i: number) => fetch(`${baselineUrl}/small`, { method: 'POST', headers, body: body(i) });
const toGuarded = (i: number) => fetch(`${baselineUrl}/guarded`, { method: 'POST', headers, body: body(i) });
watchCommands();

process.stderr.write('bench:assessments warming up\n');
await drive(WARMUP, toAssessments);
{
  // The document as assessments inserts it: one it stored, written again by its own repository
  // into a scratch collection whose relay never clears, so its pending event stays in it.
  const stored = (await client.db(dbName).collection('assessments').findOne({}))!;
  const assessment = Object.fromEntries(Object.entries(stored).filter(([key]) => !['_id', 'version', 'pendingEvents', 'outboxSeq', 'hasPending'].includes(key)));
  const repository = new AssessmentRepository(client.db(baselineDb).collection('template') as never, new EventFactory('assessments', contractRegistry()), new KeyedMutex(), { notify: () => undefined } as unknown as OutboxRelay);
  await repository.createCompleted(randomUUID(), assessment as unknown as Assessment);
  template = Object.fromEntries(Object.entries((await client.db(baselineDb).collection('template').findOne({}))!).filter(([key]) => key !== '_id'));
  // An audit entry as assessments stored it; its shipped event is about the entry's size.
  auditTemplate = Object.fromEntries(Object.entries((await client.db(dbName).collection('audit_log').findOne({}))!).filter(([key]) => key !== '_id'));
}
await drive(WARMUP, toBaseline);
await drive(WARMUP, toSmall);
await drive(WARMUP, toGuarded);
const documentBytes = BSON.calculateObjectSize({ _id: randomUUID(), ...template });
const sides = { small: newSide(), baseline: newSide(), guarded: newSide(), assessments: newSide(), bare: newSide(), noAudit: newSide(), noEvent: newSide() };

type Guarantee = 'audit' | 'event';
/** Runs `work` with the service's audit entries, or events, or both switched off (the sides "without ..."). */
async function without(off: Guarantee[], work: () => Promise<void>): Promise<void> {
  const { record } = AuditLog.prototype;
  const { createCompleted } = AssessmentRepository.prototype;
  if (off.includes('audit')) AuditLog.prototype.record = async () => undefined;
  // The completed assessment stored as it is, with no event (a draft's create takes none).
  if (off.includes('event'))
    AssessmentRepository.prototype.createCompleted = function (this: AssessmentRepository, id: string, a: Assessment) {
      return this.create(id, a);
    };
  try {
    await work();
  } finally {
    AuditLog.prototype.record = record;
    AssessmentRepository.prototype.createCompleted = createCompleted;
  }
}
const perRound = Math.ceil(REQUESTS / ROUNDS);
for (let round = 1; round <= ROUNDS; round++) {
  process.stderr.write(`bench:assessments round ${round} of ${ROUNDS}\n`);
  await phase(sides.small, perRound, toSmall);
  await phase(sides.baseline, perRound, toBaseline, { count: true });
  await phase(sides.guarded, perRound, toGuarded, { count: true });
  await phase(sides.assessments, perRound, toAssessments, { settleMs: 1_500, count: true });
  await without(['audit', 'event'], () => phase(sides.bare, perRound, toAssessments, { settleMs: 500 }));
  await without(['audit'], () => phase(sides.noAudit, perRound, toAssessments, { settleMs: 1_500 }));
  await without(['event'], () => phase(sides.noEvent, perRound, toAssessments, { settleMs: 1_500 }));
}
const [small, baseline, guarded, measured, bare] = [summarise(sides.small), summarise(sides.baseline), summarise(sides.guarded), summarise(sides.assessments), summarise(sides.bare)];
const bareCpuPerRequest = cpuPerRequest(NO_CPU, sides.bare.cpu, sides.bare.requests);
const bareRatio = bare.perSecond / baseline.perSecond;
const [noAudit, noEvent] = [summarise(sides.noAudit), summarise(sides.noEvent)];
const [noAuditRatio, noEventRatio] = [noAudit.perSecond / baseline.perSecond, noEvent.perSecond / baseline.perSecond];
const baselineCpuPerRequest = cpuPerRequest(NO_CPU, sides.baseline.cpu, sides.baseline.requests);
const guardedCpuPerRequest = cpuPerRequest(NO_CPU, sides.guarded.cpu, sides.guarded.requests);
const assessmentsCpuPerRequest = cpuPerRequest(NO_CPU, sides.assessments.cpu, sides.assessments.requests);
const baselineCommands = commandsPerRequest(baselineDb, sides.baseline.requests);
const guardedCommands = commandsPerRequest(guardedDb, sides.guarded.requests);
const assessmentCommands = commandsPerRequest(dbName, sides.assessments.requests);
const ratio = measured.perSecond / baseline.perSecond;
// The ratio round by round: how much of a run's figure is the machine drifting under it.
const roundRatios = sides.assessments.perRound.map((perSecond, i) => perSecond / sides.baseline.perRound[i]!);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const guardedRatio = measured.perSecond / guarded.perSecond;

// What one store operation costs now, one at a time, on the collections as the run left them:
// the baseline's only operation (an insert) against what the completion path adds (the relay
// clearing the outbox by _id, and a lookup by _id).
const aggregates = client.db(dbName).collection<{ _id: string }>('assessments');
const inserted = client.db(baselineDb).collection<{ _id: string }>('assessments');
const stored = await aggregates.find({ outboxSeq: 1 }, { projection: { _id: 1 } }).toArray();
const perOp = async (work: (i: number) => Promise<unknown>) => {
  const started = performance.now();
  for (let i = 0; i < 50; i++) await work(i);
  return (performance.now() - started) / 50;
};
const insertMs = await perOp(() => inserted.insertOne({ ...template, _id: randomUUID() }));
const updateMs = await perOp((i) => aggregates.updateOne({ _id: stored[(i * 31) % stored.length]!._id, outboxSeq: 1 }, { $set: { pendingEvents: [], hasPending: false } }));
const findMs = await perOp((i) => aggregates.findOne({ _id: stored[(i * 37) % stored.length]!._id }));

const fmt = (n: number) => n.toFixed(0).padStart(6);
const smallRatio = measured.perSecond / small.perSecond;
console.log(`bench:assessments (same store, one run, ${sides.assessments.requests} requests a side in ${ROUNDS} alternating rounds, ${CONCURRENCY} in flight, load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
console.log(`  baseline: express + mongoose insertOne of the same document (${documentBytes} bytes)`);
console.log(`                                                ${fmt(baseline.perSecond)} req/s   p50 ${baseline.p50.toFixed(1)} ms  p99 ${baseline.p99.toFixed(1)} ms`);
console.log(`  (request-fields baseline, the earlier one)    ${fmt(small.perSecond)} req/s   p50 ${small.p50.toFixed(1)} ms  p99 ${small.p99.toFixed(1)} ms`);
console.log(`  guarantees by hand (not the target's baseline)${fmt(guarded.perSecond)} req/s   p50 ${guarded.p50.toFixed(1)} ms  p99 ${guarded.p99.toFixed(1)} ms`);
console.log(`  assessments: POST /assessments (complete)     ${fmt(measured.perSecond)} req/s   p50 ${measured.p50.toFixed(1)} ms  p99 ${measured.p99.toFixed(1)} ms`);
console.log(`  ratio assessments / baseline                  ${ratio.toFixed(2).padStart(6)}         (target >= 0.70; against the request-fields baseline ${smallRatio.toFixed(2)})`);
console.log(`  ratio round by round                          ${roundRatios.map((r) => r.toFixed(2)).join(' ')}  (median ${median(roundRatios).toFixed(2)})`);
console.log(`  ratio assessments / guarantees by hand        ${guardedRatio.toFixed(2).padStart(6)}         (the same writes, sent by the request itself)`);
console.log(`  without its guarantees (not product settings):`);
console.log(`    no audit entry, no event                    ${fmt(bare.perSecond)} req/s   p50 ${bare.p50.toFixed(1)} ms  p99 ${bare.p99.toFixed(1)} ms   ratio to baseline ${bareRatio.toFixed(2)}`);
console.log(`    no audit entry (the event kept)             ${fmt(noAudit.perSecond)} req/s   p50 ${noAudit.p50.toFixed(1)} ms  p99 ${noAudit.p99.toFixed(1)} ms   ratio to baseline ${noAuditRatio.toFixed(2)}`);
console.log(`    no event (the audit entry kept)             ${fmt(noEvent.perSecond)} req/s   p50 ${noEvent.p50.toFixed(1)} ms  p99 ${noEvent.p99.toFixed(1)} ms   ratio to baseline ${noEventRatio.toFixed(2)}`);
console.log(`  store, one operation at a time, ${stored.length} documents: insertOne ${insertMs.toFixed(1)} ms, updateOne by _id ${updateMs.toFixed(1)} ms, findOne by _id ${findMs.toFixed(1)} ms`);
console.log(`  CPU ms per request, baseline:    ${baselineCpuPerRequest}`);
console.log(`  CPU ms per request, by hand:     ${guardedCpuPerRequest}`);
console.log(`  CPU ms per request, assessments: ${assessmentsCpuPerRequest} (the relay's last round included)`);
console.log(`  CPU ms per request, without its guarantees: ${bareCpuPerRequest}`);
if (COUNT) {
  console.log(`  store commands per request, baseline:    ${baselineCommands}`);
  console.log(`  store commands per request, by hand:     ${guardedCommands}`);
  console.log(`  store commands per request, assessments: ${assessmentCommands}`);
}
console.log(JSON.stringify({ bench: 'assessments', requests: sides.assessments.requests, rounds: ROUNDS, concurrency: CONCURRENCY, load1: Number(loadavg()[0]!.toFixed(2)), documentBytes, smallBaselinePerSec: Math.round(small.perSecond), baselinePerSec: Math.round(baseline.perSecond), baselineP99Ms: Number(baseline.p99.toFixed(1)), guaranteesByHandPerSec: Math.round(guarded.perSecond), assessmentsPerSec: Math.round(measured.perSecond), assessmentsP99Ms: Number(measured.p99.toFixed(1)), documents: stored.length, insertMs: Number(insertMs.toFixed(2)), updateByIdMs: Number(updateMs.toFixed(2)), findByIdMs: Number(findMs.toFixed(2)), ratio: Number(ratio.toFixed(3)), roundRatios: roundRatios.map((r) => Number(r.toFixed(3))), ratioToGuaranteesByHand: Number(guardedRatio.toFixed(3)), withoutGuaranteesPerSec: Math.round(bare.perSecond), ratioWithoutGuarantees: Number(bareRatio.toFixed(3)), ratioWithoutAudit: Number(noAuditRatio.toFixed(3)), ratioWithoutEvent: Number(noEventRatio.toFixed(3)) }));

server.close();
await producer.disconnect();
await kafkaAdmin.deleteTopics({ topics: [guardedTopic] });
await kafkaAdmin.disconnect();
await guardedConnection.dropDatabase();
await guardedConnection.close();
await connection.dropDatabase();
await connection.close();
await client.db(dbName).dropDatabase();
await client.db(identityDb).dropDatabase();
await client.close();
await assessments.runtime.shutdown();
await identity.runtime.shutdown();
process.exit(0);
