// Wires consent together: configuration, database, events in and out, the expiry sweep, HTTP.
// main.ts and the integration tests both start consent through here.
import { fileURLToPath } from 'node:url';
import { prepareService, type Logger, type ServiceRuntime } from '@spor/service-kit';
import { EventFactory, startBackbone, startProjectionConsumer, topicFor } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { serveAuthenticated, type TokenVerifier } from '@spor/auth';
import { consentConfigSchema, type ConsentConfig } from './config.js';
import { ConsentRepository } from './store/consent-repository.js';
import { PurposeCatalogue, type StoredPurpose } from './store/purpose-catalogue.js';
import { DirectoryView } from '@spor/directory';
import { startAuditLog, type AuditLog } from '@spor/audit';
import { startPrivacy, type Privacy } from '@spor/privacy';
import { consentPrivacy } from './privacy.js';
import { consentRoutes } from './http/consent.routes.js';
import { purposeRoutes } from './http/purpose.routes.js';
import { expirySweep } from './expiry.js';
import { reevaluateOnCustodyChange } from './custody.js';

export const SERVICE = 'consent';
export const TOPICS = [topicFor(SERVICE, 'consent')];

export interface RunningConsent {
  url: string;
  runtime: ServiceRuntime;
  config: ConsentConfig;
  audit: AuditLog;
  /** Legal holds, parents' insight (with the consents) and the export (libs/privacy). */
  privacy: Privacy;
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
  const { config, log, runtime, metrics } = prepareService(SERVICE, consentConfigSchema, environment, options.logger);
  const clock = options.clock ?? (() => new Date());

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
  const { db, locks, relay } = backbone;
  const registry = contractRegistry();
  const factory = new EventFactory(SERVICE, registry);
  const consents = new ConsentRepository(db.collection('consents') as never, factory, locks, relay);
  await consents.init();
  const catalogue = new PurposeCatalogue(db.collection<StoredPurpose>('purposes'));
  await catalogue.init();
  const directory = new DirectoryView(db, ['persons', 'custody', 'units', 'enrollments']);
  await directory.init();
  const audit = await startAuditLog(backbone, SERVICE, { runtime, logger: log, metrics, config });
  const privacy = await startPrivacy(backbone, {
    service: SERVICE, config, runtime, logger: log, audit, directory, clock, ...consentPrivacy(db, { locks, factory }),
    extendInsight: async (insight) => ({ ...insight, consents: insight.records.consent ?? [] }),
  });

  // Registered before the consumer starts: every custody event it applies is acted on, except
  // replays into a view being rebuilt (emptied, as deploy/OPERATIONS.md rebuilds it).
  const rebuilding = (await db.collection('directory_custody').countDocuments({}, { limit: 1 })) === 0 && (await db.collection('consents').countDocuments({}, { limit: 1 })) > 0;
  if (rebuilding) log.warn('consent: the directory view is empty while consents exist (a rebuild): changes of custody from before now are applied to the view but do not re-evaluate consents');
  const reevaluateChild = reevaluateOnCustodyChange({ consents, directory, clock, logger: log, ...(rebuilding ? { rebuildingSince: clock() } : {}) });
  directory.onCustodyChange(reevaluateChild);
  await startProjectionConsumer(backbone, { groupId: config.CONSENT_DIRECTORY_GROUP, topics: directory.topics(), handlers: directory.handlers(), registry, runtime, logger: log, metrics });

  const expireDue = expirySweep({ consents, directory, clock, logger: log });
  runtime.every('consent expiry sweep', config.CONSENT_EXPIRY_SWEEP_SECONDS * 1000, expireDue);

  const url = await serveAuthenticated({
    // The HTTP contract, checked against every exchange in tests; ../ is the package from src/ and dist/ alike.
    openapi: fileURLToPath(new URL('../openapi.yaml', import.meta.url)),
    service: SERVICE,
    config,
    runtime,
    logger: log,
    metrics,
    readiness: backbone.readiness,
    ...(options.verifier ? { verifier: options.verifier } : {}),
    routes: (router) => {
      purposeRoutes(router, catalogue);
      privacy.routes(router);
      consentRoutes(router, { consents, catalogue, directory, clock, audit, reevaluateChild });
    },
  });
  return { url, runtime, config, audit, privacy, expireDue };
}
