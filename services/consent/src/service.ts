// Wires consent together: configuration, database, events in and out, the expiry sweep, HTTP.
// main.ts and the integration tests both start consent through here.
import { ServiceRuntime, createApp, createLogger, createRegistry, loadConfig, type Logger } from '@spor/service-kit';
import { EventConsumer, EventFactory, startBackbone, topicFor } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { authenticate, verifierFromConfig, type TokenVerifier } from '@spor/auth';
import { consentConfigSchema, type ConsentConfig } from './config.js';
import { ConsentRepository } from './store/consent-repository.js';
import { PurposeCatalogue, type StoredPurpose } from './store/purpose-catalogue.js';
import { DirectoryView } from '@spor/directory';
import { consentRoutes } from './http/consent.routes.js';
import { purposeRoutes } from './http/purpose.routes.js';
import { expireDueGrants } from './expiry.js';

export const SERVICE = 'consent';
export const TOPICS = [topicFor(SERVICE, 'consent')];

export interface RunningConsent {
  url: string;
  runtime: ServiceRuntime;
  config: ConsentConfig;
  /** Runs one expiry sweep now; answers how many grants expired. */
  expireDue: () => Promise<number>;
}

export interface ConsentOptions {
  logger?: Logger;
  /** The service's notion of now; tests pass a clock they control. */
  clock?: () => Date;
  /** Tests verify with identity's keys in-process. */
  verifier?: TokenVerifier;
}

export async function startConsent(environment: NodeJS.ProcessEnv, options: ConsentOptions = {}): Promise<RunningConsent> {
  const config = loadConfig(consentConfigSchema, environment);
  const log = options.logger ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const clock = options.clock ?? (() => new Date());
  const runtime = new ServiceRuntime(log, config.SHUTDOWN_TIMEOUT_MS);
  const metrics = createRegistry(SERVICE);

  const backbone = await startBackbone({
    service: SERVICE,
    mongoUrl: config.MONGO_URL,
    dbName: config.CONSENT_DB_NAME,
    kafkaBrokers: config.KAFKA_BROKERS,
    kafkaClientId: config.KAFKA_CLIENT_ID,
    runtime,
    logger: log,
    metrics,
    aggregateCollections: ['consents'],
    otherCollections: ['purposes', ...DirectoryView.collections],
    topics: TOPICS,
  });
  const { db, transport, locks, relay } = backbone;
  const registry = contractRegistry();
  const consents = new ConsentRepository(db.collection('consents') as never, new EventFactory(SERVICE, registry), locks, relay);
  await consents.init();
  const catalogue = new PurposeCatalogue(db.collection<StoredPurpose>('purposes'));
  await catalogue.init();
  const directory = new DirectoryView(db, ['persons', 'custody', 'units', 'enrollments']);
  await directory.init();

  // identity's and transitions' topics may not exist yet when consent starts first.
  await transport.ensureTopics(directory.topics().map((topic) => ({ topic, partitions: 3 })));
  const consumer = new EventConsumer({ groupId: config.CONSENT_DIRECTORY_GROUP, topics: directory.topics(), handlers: directory.handlers(), registry, transport, logger: log, metrics });
  await consumer.start();
  runtime.onStop('directory consumer', () => consumer.stop());

  const expireDue = () => expireDueGrants({ consents, directory, clock, logger: log });
  const sweep = setInterval(() => {
    expireDue().catch((error: unknown) => log.error({ err: error }, 'the consent expiry sweep failed; it runs again at the next interval'));
  }, config.CONSENT_EXPIRY_SWEEP_SECONDS * 1000);
  runtime.onStop('expiry sweep', async () => clearInterval(sweep));

  const verifier = options.verifier ?? verifierFromConfig(config);
  const app = createApp({
    service: SERVICE,
    bodyLimit: config.HTTP_BODY_LIMIT,
    logger: log,
    registry: metrics,
    isDraining: () => runtime.isDraining,
    readiness: backbone.readiness,
    routes: (router) => {
      router.use(authenticate(verifier));
      purposeRoutes(router, catalogue);
      consentRoutes(router, { consents, catalogue, directory, clock });
    },
  });
  const server = await runtime.listen(app, config.PORT);
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, runtime, config, expireDue };
}
