// Wires transitions together: configuration, database, the directory projection, events, HTTP.
// main.ts and the integration tests both start transitions through here.
import { ServiceRuntime, createApp, createLogger, createRegistry, loadConfig, type Logger } from '@spor/service-kit';
import { EventConsumer, EventFactory, startBackbone, topicFor } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { authenticate, verifierFromConfig } from '@spor/auth';
import { DirectoryView } from '@spor/directory';
import { transitionsConfigSchema, type TransitionsConfig } from './config.js';
import { EnrollmentRepository } from './store/enrollment-repository.js';
import { enrollmentRoutes } from './http/enrollment.routes.js';

export const SERVICE = 'transitions';
export const TOPICS = [topicFor(SERVICE, 'enrollment')];

export interface RunningTransitions {
  url: string;
  runtime: ServiceRuntime;
  config: TransitionsConfig;
}

export interface TransitionsOptions {
  logger?: Logger;
  /** The service's notion of now; tests pass a clock they control. */
  clock?: () => Date;
}

export async function startTransitions(environment: NodeJS.ProcessEnv, options: TransitionsOptions = {}): Promise<RunningTransitions> {
  const config = loadConfig(transitionsConfigSchema, environment);
  const log = options.logger ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const clock = options.clock ?? (() => new Date());
  const runtime = new ServiceRuntime(log, config.SHUTDOWN_TIMEOUT_MS);
  const metrics = createRegistry(SERVICE);

  const backbone = await startBackbone({
    service: SERVICE,
    mongoUrl: config.MONGO_URL,
    dbName: config.TRANSITIONS_DB_NAME,
    kafkaBrokers: config.KAFKA_BROKERS,
    kafkaClientId: config.KAFKA_CLIENT_ID,
    runtime,
    logger: log,
    metrics,
    aggregateCollections: ['enrollments'],
    otherCollections: [...DirectoryView.collections],
    topics: TOPICS,
  });
  const { db, transport, locks, relay } = backbone;
  const registry = contractRegistry();
  const enrollments = new EnrollmentRepository(db.collection('enrollments') as never, new EventFactory(SERVICE, registry), locks, relay);
  await enrollments.init();
  const directory = new DirectoryView(db, ['persons', 'units']);
  await directory.init();

  // identity's topics may not exist yet when transitions starts first.
  await transport.ensureTopics(directory.topics().map((topic) => ({ topic, partitions: 3 })));
  const consumer = new EventConsumer({ groupId: config.TRANSITIONS_DIRECTORY_GROUP, topics: directory.topics(), handlers: directory.handlers(), registry, transport, logger: log, metrics });
  await consumer.start();
  runtime.onStop('directory consumer', () => consumer.stop());

  const verifier = verifierFromConfig(config);
  const app = createApp({
    service: SERVICE,
    bodyLimit: config.HTTP_BODY_LIMIT,
    logger: log,
    registry: metrics,
    isDraining: () => runtime.isDraining,
    readiness: backbone.readiness,
    routes: (router) => {
      router.use(authenticate(verifier));
      enrollmentRoutes(router, { enrollments, directory, clock });
    },
  });
  const server = await runtime.listen(app, config.PORT);
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, runtime, config };
}
