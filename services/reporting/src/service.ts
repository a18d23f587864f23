// Wires reporting together: its projections of the other services' events, the figures API,
// and the rebuild that replays every topic from the start.
import { fileURLToPath } from 'node:url';
import { prepareService, type Logger, type ServiceRuntime } from '@spor/service-kit';
import { EventConsumer, startBackbone, startProjectionConsumer } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { principalOf, requireRole, serveAuthenticated } from '@spor/auth';
import { forbidden } from '@spor/service-kit';
import { DirectoryView, holdsRoleAt } from '@spor/directory';
import { startAuditLog } from '@spor/audit';
import { reportingConfigSchema, type ReportingConfig } from './config.js';
import { Projections } from './store/projections.js';
import { replayInto, type RebuildResult } from './store/rebuild.js';
import { figureRoutes } from './http/figure.routes.js';

export const SERVICE = 'reporting';
export type { RebuildResult };

export interface RunningReporting {
  url: string;
  runtime: ServiceRuntime;
  config: ReportingConfig;
  /** Replays every topic into emptied projections (what POST /admin/rebuild does). */
  rebuild: () => Promise<RebuildResult>;
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
    otherCollections: [...Projections.collections, ...DirectoryView.collections],
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
  // Fresh projections start with a rebuild (folding in memory is far faster than the live path);
  // the live consumer then passes over what the rebuild applied, as duplicates.
  if ((await projections.subjects.estimatedDocumentCount()) === 0) await replayInto(projections, { groupPrefix: config.REPORTING_CONSUMER_GROUP, topics, registry, transport, logger: log });
  let consumer = new EventConsumer({ groupId: config.REPORTING_CONSUMER_GROUP, topics, handlers, registry, transport, logger: log, metrics });
  await consumer.start();
  runtime.onStop('consumer', () => consumer.stop());

  // The live consumer pauses while the projections are rebuilt from the start of every topic;
  // then it resumes from its own offsets, so events that arrived meanwhile are applied too
  // (applying by version makes the overlap harmless).
  let rebuilding: Promise<RebuildResult> | undefined;
  const rebuild = () =>
    (rebuilding ??= (async () => {
      await consumer.stop();
      try {
        return await replayInto(projections, { groupPrefix: config.REPORTING_CONSUMER_GROUP, topics: projections.topics(), registry, transport, logger: log });
      } finally {
        consumer = new EventConsumer({ groupId: config.REPORTING_CONSUMER_GROUP, topics, handlers, registry, transport, logger: log, metrics });
        await consumer.start();
        rebuilding = undefined;
      }
    })());

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
  return { url, runtime, config, rebuild };
}
