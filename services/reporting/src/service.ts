// Wires reporting together: its projections of the other services' events, the figures API,
// and the rebuild that replays every topic from the start.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { conflict, prepareService, type Logger, type ServiceRuntime } from '@spor/service-kit';
import { EventConsumer, startBackbone, startProjectionConsumer } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { principalOf, requireRole, serveAuthenticated } from '@spor/auth';
import { forbidden } from '@spor/service-kit';
import { DirectoryView, holdsRoleAt } from '@spor/directory';
import { startAuditLog } from '@spor/audit';
import { reportingConfigSchema, type ReportingConfig } from './config.js';
import { Projections } from './store/projections.js';
import { rebuildUnderLease, type RebuildResult } from './store/rebuild.js';
import { RebuildLease } from './store/rebuild-lease.js';
import { figureRoutes } from './http/figure.routes.js';

export const SERVICE = 'reporting';
export type { RebuildResult };

export interface RunningReporting {
  url: string;
  runtime: ServiceRuntime;
  config: ReportingConfig;
  /** Replays every topic into emptied projections (what POST /admin/rebuild does); 409 REBUILD_RUNNING while another replica rebuilds. */
  rebuild: () => Promise<RebuildResult>;
  /** Whether this replica's live consumer is paused (for its own rebuild, or another replica's). */
  livePaused: () => boolean;
}

export async function startReporting(environment: NodeJS.ProcessEnv, options: { logger?: Logger } = {}): Promise<RunningReporting> {
  const { config, log, runtime, metrics } = prepareService(SERVICE, reportingConfigSchema, environment, options.logger);

  const backbone = await startBackbone({
    service: SERVICE,
    mongoUrl: config.MONGO_URL,
    dbName: config.REPORTING_DB_NAME,
    kafkaBrokers: config.KAFKA_BROKERS,
    kafkaClientId: config.KAFKA_CLIENT_ID,
    runtime,
    logger: log,
    metrics,
    aggregateCollections: [],
    otherCollections: [...Projections.collections, ...RebuildLease.collections, ...DirectoryView.collections],
    topics: [],
  });
  const { db, transport } = backbone;
  const registry = contractRegistry();
  const projections = new Projections(db);
  await projections.init();
  await projections.recover(log);
  const directory = new DirectoryView(db, ['units']);
  await directory.init();
  const audit = await startAuditLog(backbone, SERVICE, { runtime, logger: log, metrics, config });

  // The organisation tree has its own consumer: a backlog of figure events never delays it.
  await startProjectionConsumer(backbone, { groupId: `${config.REPORTING_CONSUMER_GROUP}.directory`, topics: directory.topics(), handlers: directory.handlers(), registry, runtime, logger: log, metrics });
  const topics = projections.topics();
  const handlers = projections.handlers();
  await transport.ensureTopics(topics.map((topic) => ({ topic, partitions: 3 })));
  // The live consumer runs unless this replica rebuilds or another replica holds the rebuild
  // lease. Pausing stops it, resuming starts a new one from the group's committed offsets, so
  // events that arrived meanwhile are applied then (applying by version makes the overlap harmless).
  const lease = new RebuildLease(db, `${hostname()}:${process.pid}:${randomUUID()}`, config.REPORTING_REBUILD_STALE_SECONDS * 1000);
  const pausedFor = new Set<'rebuild' | 'another-replica'>();
  let consumer: EventConsumer | null = null;
  let turns = Promise.resolve();
  const pause = (reason: 'rebuild' | 'another-replica', paused: boolean): Promise<void> => {
    const turn = turns.then(async () => {
      if (paused) pausedFor.add(reason);
      else pausedFor.delete(reason);
      if (pausedFor.size > 0 && consumer) {
        const stopping = consumer;
        consumer = null;
        await stopping.stop();
        log.info({ reasons: [...pausedFor] }, 'live consumer paused');
      } else if (pausedFor.size === 0 && !consumer) {
        consumer = new EventConsumer({ groupId: config.REPORTING_CONSUMER_GROUP, topics, handlers, registry, transport, logger: log, metrics });
        await consumer.start();
      }
    });
    turns = turn.catch(() => undefined);
    return turn;
  };
  runtime.onStop('consumer', async () => void (await consumer?.stop()));

  let rebuilding: Promise<RebuildResult> | undefined;
  const rebuild = () =>
    (rebuilding ??= (async () => {
      if (lease.heldByAnother(await lease.current())) throw conflict('REBUILD_RUNNING', 'another replica is rebuilding the projections: try again when it is done');
      await pause('rebuild', true);
      try {
        const result = await rebuildUnderLease(projections, lease, { groupPrefix: config.REPORTING_CONSUMER_GROUP, topics, registry, transport, logger: log, settleMs: 2 * config.REPORTING_REBUILD_WATCH_MS + 500 });
        if (!result) throw conflict('REBUILD_RUNNING', 'another replica is rebuilding the projections: try again when it is done');
        return result;
      } finally {
        rebuilding = undefined;
        await pause('rebuild', false);
      }
    })());

  // Fresh projections start with a rebuild (folding in memory is far faster than the live path);
  // the live consumer then passes over what the rebuild applied, as duplicates. Replicas started
  // together: one rebuilds, the others wait paused.
  if ((await projections.subjects.estimatedDocumentCount()) === 0) {
    await rebuild().catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'REBUILD_RUNNING') throw error;
    });
  }
  const watchLease = async () => {
    const held = await lease.current();
    await pause('another-replica', lease.heldByAnother(held));
    // A rebuild that died after emptying the projections left them partial: whoever sees its lease go stale rebuilds.
    if (held?.partial && lease.isStale(held) && !rebuilding) {
      log.warn({ holder: held.holder }, 'a rebuild left the figures partial: rebuilding them');
      void rebuild().catch((error: unknown) => log.error({ err: error }, 'the rebuild of partial figures failed'));
    }
  };
  await watchLease();
  runtime.every('rebuild-lease', config.REPORTING_REBUILD_WATCH_MS, watchLease);

  const REBUILDERS = ['system-administrator', 'administration'] as const;
  const url = await serveAuthenticated({
    service: SERVICE,
    openapi: fileURLToPath(new URL('../openapi.yaml', import.meta.url)),
    config,
    runtime,
    logger: log,
    metrics,
    readiness: backbone.readiness,
    routes: (router) => {
      figureRoutes(router, { projections, directory, audit });
      router.post('/admin/rebuild', requireRole(...REBUILDERS), async (req, res) => {
        // A rebuild empties and recomputes every figure the installation holds: it is the
        // municipality's own administration's, not a role on one institution or district's.
        const principal = principalOf(req);
        const municipality = (await directory.unitsOf(principal.municipalityId)).find((u) => u.kind === 'municipality' && u.parentId === null);
        if (!municipality || !(await holdsRoleAt(directory, principal, REBUILDERS, municipality._id))) throw forbidden('a rebuild needs the administration or system administrator role on the municipality itself', 'ROLE_REQUIRED');
        // Logged before the projections are emptied, so a rebuild that fails half way is on record too.
        await audit.record(principal, { action: 'rebuild', recordType: 'projections', recordId: null });
        res.json(await rebuild());
      });
    },
  });
  return { url, runtime, config, rebuild, livePaused: () => consumer === null };
}
