// bench:reporting: reporting's projections against the same broker and store, in one run.
//  (a) ingest: a municipality of BENCH_REPORTING_CHILDREN children (20,000) and about
//      BENCH_REPORTING_EVENTS synthetic events (1,000,000) on their own topics, replayed into
//      fresh projections (what a rebuild does), events per second from the first read to the
//      last write;
//  (b) the whole-municipality dashboard (every figure, districts and institutions, protected),
//      p95 over repeated queries, against a baseline that computes the well-being distribution,
//      language categories and active plans by level for the month with aggregations over the
//      raw event documents in the same store; both printed with the ratio. The dashboard is
//      measured warm (nothing changed since the last read, the figures come from the cache under
//      the month's revision token) and cold (the month's token replaced before each query).
// The bench topics are deleted afterwards so no test replays them.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { connectMongo, ensureCollections } from '@spor/mongo';
import { CLOUDEVENTS_CONTENT_TYPE, EventFactory, HEADERS, KafkajsTransport, toPending, type SporEvent } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { DirectoryView } from '@spor/directory';
import { AuditLog } from '@spor/audit';
import type { Principal } from '@spor/auth';
import { testInfra, uniqueName } from '@spor/testkit';
import { Projections } from '../../services/reporting/src/store/projections.js';
import { replayInto } from '../../services/reporting/src/store/rebuild.js';
import { figureQueries } from '../../services/reporting/src/http/figure.routes.js';

const { brokers, mongoUrl } = testInfra();
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'error' });
const EVENTS = Number(process.env.BENCH_REPORTING_EVENTS ?? 1_000_000);
const CHILDREN = Number(process.env.BENCH_REPORTING_CHILDREN ?? 20_000);
const QUERIES = Number(process.env.BENCH_REPORTING_QUERIES ?? 40);
const BASELINE_QUERIES = Number(process.env.BENCH_REPORTING_BASELINE_QUERIES ?? 5);
const DISTRICTS = 4;
const INSTITUTIONS = Math.max(4, Math.round(CHILDREN / 200));
const MONTH = '2026-10';
const mun = '9' + String(Math.floor(10 + Math.random() * 89));
const registry = contractRegistry();
const factory = Object.fromEntries(['identity', 'transitions', 'assessments', 'action-plans'].map((s) => [s, new EventFactory(s, registry)]));
const prefix = `${uniqueName('bench')}.`;

let seed = 42;
const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
const day = (year: number, month: number, d = 1 + Math.floor(rnd() * 27)) => `${year}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
const ev = (type: string, subject: string, data: Record<string, unknown>, version: number, key = subject): SporEvent => factory[type.split('.')[2]!]!.create(type, { subject, partitionKey: key, municipalityId: mun, aggregateVersion: version, data });

/** One child's events over four years: birth, placement, well-being rounds twice a year (two independent and a joint rating), language, motor skills, all-round development, and for some a plan, a transition, a resource case. */
function* childEvents(institutions: string[]): Generator<SporEvent> {
  const childId = randomUUID();
  const birthYear = 2020 + Math.floor(rnd() * 4);
  const institutionId = pick(institutions);
  yield ev('dk.spor.identity.person.registered.v1', childId, { personId: childId, kind: 'child', birthYear, birthMonth: 1 + Math.floor(rnd() * 12) }, 1);
  yield ev('dk.spor.transitions.enrollment.enrolled.v1', childId, { childId, placementId: randomUUID(), institutionId, institutionType: 'boernehave', groupId: null, from: day(2023, 8, 1), to: null }, 1);
  const assess = (instrumentId: string, section: string, category: string, on: string, rating = 'joint') => {
    const assessmentId = randomUUID();
    return ev('dk.spor.assessments.assessment.completed.v1', assessmentId, { assessmentId, target: 'child', childId, instrumentId, instrumentVersion: 1, institutionId, ageMonths: 48, rating, results: [{ section, category }], completedOn: on }, 1, childId);
  };
  for (let year = 2023; year <= 2026; year++) {
    for (const month of [4, 10]) {
      const light = pick(['green', 'green', 'green', 'yellow', 'red']);
      yield assess('trivselsvurdering', 'trivsel', light, day(year, month), 'independent');
      yield assess('trivselsvurdering', 'trivsel', light, day(year, month), 'independent');
      yield assess('trivselsvurdering', 'trivsel', light, day(year, month));
      yield assess('alsidig-udvikling', 'social-udvikling', pick(['thriving', 'developing', 'needs-attention']), day(year, month), 'single');
    }
    yield assess('motorik', 'grovmotorik', pick(['adequate', 'strong', 'needs-development']), day(year, 9), 'single');
    yield assess('sprogvurdering', 'sprog', pick(['general', 'general', 'focused', 'special']), day(year, 5), 'single');
  }
  if (rnd() < 0.3) {
    const planId = randomUUID();
    const plan = (verb: string, on: string, levels: string[], v: number, extra: Record<string, unknown> = {}) => ev(`dk.spor.action-plans.plan.${verb}.v1`, planId, { planId, childId, institutionId, on, effortLevels: levels, ...extra }, v);
    yield plan('activated', day(2026, 3), ['preventive'], 1);
    yield plan('evaluated', day(2026, 6), ['preventive'], 2, { decision: 'continue', nextEvaluationOn: day(2026, 9) });
    yield plan('effort-added', day(2026, 7), ['preventive', 'anticipatory'], 3, { effortId: randomUUID(), level: 'anticipatory' });
    yield plan('evaluation-overdue', day(2026, 10), ['preventive', 'anticipatory'], 4, { dueOn: day(2026, 9, 28) });
    if (rnd() < 0.3) yield plan('closed', day(2026, 10), ['preventive', 'anticipatory'], 5);
  }
  if (rnd() < 0.25) {
    const transitionId = randomUUID();
    const common = { transitionId, childId, fromInstitutionId: institutionId, toInstitutionId: pick(institutions), date: day(2026, 8, 1), kind: 'daycare-to-school' };
    yield ev('dk.spor.transitions.handover.planned.v1', transitionId, common, 1, childId);
    const consent = rnd() < 0.7;
    yield ev('dk.spor.transitions.handover.released.v1', transitionId, { ...common, legalBasis: consent ? 'consent' : 'guidelines', ...(consent ? { consentId: randomUUID() } : {}) }, 2, childId);
    yield ev('dk.spor.transitions.handover.acknowledged.v1', transitionId, common, 3, childId);
  }
}

async function main(): Promise<void> {
  const transport = new KafkajsTransport({ clientId: 'bench-reporting', brokers, logger });
  const connection = await connectMongo({ url: mongoUrl, dbName: uniqueName('bench-reporting'), logger });
  await ensureCollections(connection, [...Projections.collections, ...DirectoryView.collections, ...AuditLog.collections, 'raw_events']);
  const db = connection.db!;
  const projections = new Projections(db);
  await projections.init();
  const directory = new DirectoryView(db, ['units']);
  await directory.init();
  const raw = db.collection<Record<string, unknown>>('raw_events');
  await raw.createIndex({ municipalityId: 1, kind: 1, month: 1 });

  // The organisation: municipality, districts, institutions (applied directly, they are not what is measured).
  const munId = randomUUID();
  const districts = Array.from({ length: DISTRICTS }, () => randomUUID());
  const institutions = Array.from({ length: INSTITUTIONS }, () => randomUUID());
  const handlers = directory.handlers();
  const unit = (unitId: string, kind: string, parentId: string | null) => ev('dk.spor.identity.orgunit.created.v1', unitId, { unitId, kind, parentId, ...(kind === 'institution' ? { institutionType: 'boernehave' } : {}) }, 1);
  for (const e of [unit(munId, 'municipality', null), ...districts.map((d) => unit(d, 'district', munId)), ...institutions.map((i, n) => unit(i, 'institution', districts[n % DISTRICTS]!))]) {
    await handlers[e.type]!(e, { topic: '', partition: 0, offset: '0', logger });
  }

  // Produce the events to the bench's own topics, and keep the raw documents for the baseline.
  const topics = projections.topics().map((t) => `${prefix}${t}`);
  await transport.ensureTopics(topics.map((topic) => ({ topic, partitions: 3 })));
  let produced = 0;
  let batch: SporEvent[] = [];
  const flush = async () => {
    await transport.send(batch.map((e) => toPending(e)).map((p) => ({ topic: `${prefix}${p.topic}`, key: p.key, value: JSON.stringify(p.event), headers: { [HEADERS.contentType]: CLOUDEVENTS_CONTENT_TYPE } })));
    await raw.insertMany(
      batch.map((e) => {
        const d = e.data as Record<string, unknown>;
        const on = (d.completedOn ?? d.on ?? d.date ?? d.from ?? '') as string;
        return { _id: e.id as never, municipalityId: e.municipalityid, kind: e.type.split('.')[3], type: e.type, v: e.aggregateversion, month: on.slice(0, 7), on, ...d };
      }),
      { ordered: false },
    );
    produced += batch.length;
    batch = [];
  };
  const started = performance.now();
  for (let child = 0; produced + batch.length < EVENTS; child = (child + 1) % CHILDREN) {
    for (const e of childEvents(institutions)) {
      batch.push(e);
      if (batch.length >= 1_000) await flush();
      if (produced + batch.length >= EVENTS) break;
    }
  }
  if (batch.length) await flush();
  console.log(`produced ${produced} events (${CHILDREN} children, ${INSTITUTIONS} institutions) and their raw documents in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  // (a) ingest
  const result = await replayInto(projections, { groupPrefix: uniqueName('bench-reporting'), topics, registry, transport, logger });
  const ingest = (produced / result.rebuiltInMs) * 1000;
  console.log(`(a) ingest: ${produced} events in ${(result.rebuiltInMs / 1000).toFixed(1)} s (read and fold ${(result.replayMs / 1000).toFixed(1)} s, write ${result.subjects} subjects and ${result.cells} cells ${(result.writeMs / 1000).toFixed(1)} s): ${ingest.toFixed(0)} events/s (target >= 5,000)`);

  // (b) dashboard vs baseline
  const principal: Principal = { subject: 'bench', kind: 'staff', municipalityId: mun, roles: [{ role: 'administration', unitId: munId }], children: [], nsisLevel: 'substantial', scopes: [] } as unknown as Principal;
  const queries = figureQueries({ projections, directory, audit: new AuditLog(db) });
  const p95 = async (n: number, run: () => Promise<unknown>, before?: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      await before?.();
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)]!;
  };
  const dashboardQuery = () => queries.report(principal, munId, [MONTH], { period: false });
  // Cold: the month's cells were just written (its revision token changed), so the figures are
  // read from the cells and protected again. Warm: nothing changed since the last read.
  const cold = await p95(QUERIES, dashboardQuery, () => projections.touch(mun, [MONTH]));
  const dashboard = await p95(QUERIES, dashboardQuery);
  const baseline = await p95(BASELINE_QUERIES, async () => {
    const match = (kind: string, extra: Record<string, unknown>) => ({ $match: { municipalityId: mun, kind, ...extra } });
    // FerretDB 1.x implements only $count and $sum in $group: the store matches and projects the
    // month's raw events, the newest per subject is picked here.
    const grouped = async (kind: string, extra: Record<string, unknown>, by: string, fields: string[]) => {
      const docs = await raw.aggregate<Record<string, unknown>>([match(kind, extra), { $project: Object.fromEntries(['on', 'v', by, ...fields].map((f) => [f, 1])) }]).toArray();
      const bySubject = new Map<string, Record<string, unknown>[]>();
      for (const d of docs) bySubject.set(d[by] as string, [...(bySubject.get(d[by] as string) ?? []), d]);
      const groups = [...bySubject.values()].map((e) => ({ e }));
      const counts = new Map<string, number>();
      for (const g of groups) {
        const newest = g.e.sort((a, b) => (a.on === b.on ? (a.v as number) - (b.v as number) : (a.on as string) < (b.on as string) ? -1 : 1)).at(-1)!;
        const key = JSON.stringify(fields.map((f) => newest[f]));
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    };
    await Promise.all([
      grouped('assessment', { month: MONTH, instrumentId: 'trivselsvurdering', rating: { $ne: 'independent' } }, 'childId', ['institutionId', 'results']),
      grouped('assessment', { month: MONTH, instrumentId: 'sprogvurdering' }, 'childId', ['institutionId', 'results']),
      grouped('plan', { on: { $lte: `${MONTH}-31` } }, 'planId', ['institutionId', 'effortLevels', 'type']),
    ]);
  });
  console.log(`(b) whole-municipality dashboard p95 ${dashboard.toFixed(1)} ms over ${QUERIES} (target < 50 ms), ${cold.toFixed(1)} ms right after its month changed; baseline aggregation over raw events p95 ${baseline.toFixed(0)} ms over ${BASELINE_QUERIES}; ratio ${(baseline / dashboard).toFixed(1)}x (target >= 20x), ${(baseline / cold).toFixed(1)}x after a change`);

  const admin = new Kafka({ clientId: 'bench-reporting-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  await db.dropDatabase();
  await connection.close();
  await transport.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
