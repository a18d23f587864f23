// Wires reporting together: its projections of the other services' events, the figures API,
// and the rebuild that replays every topic from the start.
import { fileURLToPath } from 'node:url';
import { prepareService, type Logger, type ServiceRuntime } from '@spor/service-kit';
import { EventConsumer, startBackbone, startProjectionConsumer } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { principalOf, requireRole, serveAuthenticated } from '@spor/auth';
import { DirectoryView } from '@spor/directory';
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
      router.post('/admin/rebuild', requireRole('system-administrator', 'administration'), async (req, res) => {
        const result = await rebuild();
        await audit.record(principalOf(req), { action: 'rebuild', recordType: 'projections', recordId: null });
        res.json(result);
      });
    },
  });
  return { url, runtime, config, rebuild };
}
