// Wires transitions together: configuration, database, the directory projection, events, HTTP.
// main.ts and the integration tests both start transitions through here.
import { fileURLToPath } from 'node:url';
import { startAuditLog, type AuditLog } from '@spor/audit';
import { startPrivacy, type Privacy } from '@spor/privacy';
import { transitionsPrivacy } from './privacy.js';
import { prepareService, type Logger, type ServiceRuntime } from '@spor/service-kit';
import { EventFactory, startBackbone, startProjectionConsumer, topicFor } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { ServiceTokenClient, serveAuthenticated } from '@spor/auth';
import { ConsentView, DirectoryView, followDisposals } from '@spor/directory';
import { transitionsConfigSchema, type TransitionsConfig } from './config.js';
import { EnrollmentRepository } from './store/enrollment-repository.js';
import { enrollmentRoutes } from './http/enrollment.routes.js';
import { transitionRoutes } from './http/transition.routes.js';
import { TransitionRepository } from './store/transition-repository.js';
import { completeDue, completeTransition } from './completion.js';
import { revokeOnLostConsent } from './revocation.js';
import { IMPORT_SWEEP_MS } from '@spor/mongo';
import { importRoutes, resumeImports } from './http/import.routes.js';
import { openImportJobs } from './store/import-jobs.js';
import type { LegalBasis } from './domain/transition.js';
import { ResultsView } from './store/results-view.js';
import { ExternalResultsView } from './store/external-results-view.js';
import { PlansView } from './store/plans-view.js';

export const SERVICE = 'transitions';
export const TOPICS = [topicFor(SERVICE, 'enrollment'), topicFor(SERVICE, 'handover')];

export interface RunningTransitions {
  url: string;
  runtime: ServiceRuntime;
  config: TransitionsConfig;
  audit: AuditLog;
  /** Legal holds, parents' insight and the export (libs/privacy). */
  privacy: Privacy;
  /** Runs one sweep of transitions whose date has come; answers how many completed. */
  completeDue: () => Promise<number>;
}

export interface TransitionsOptions {
  logger?: Logger;
  /** The service's notion of now; tests pass a clock they control. */
  clock?: () => Date;
}

export async function startTransitions(environment: NodeJS.ProcessEnv, options: TransitionsOptions = {}): Promise<RunningTransitions> {
  const { config, log, runtime, metrics } = prepareService(SERVICE, transitionsConfigSchema, environment, options.logger);
  const clock = options.clock ?? (() => new Date());

  const backbone = await startBackbone({
    service: SERVICE,
    mongoUrl: config.MONGO_URL,
    dbName: config.TRANSITIONS_DB_NAME,
    kafkaBrokers: config.KAFKA_BROKERS,
    kafkaClientId: config.KAFKA_CLIENT_ID,
    runtime,
    logger: log,
    metrics,
    aggregateCollections: ['enrollments', 'transitions'],
    otherCollections: ['import_jobs', ...DirectoryView.collections, ...ConsentView.collections, ...ResultsView.collections, ...ExternalResultsView.collections, ...PlansView.collections],
    topics: TOPICS,
  });
  const { db, locks, relay } = backbone;
  const registry = contractRegistry();
  const factory = new EventFactory(SERVICE, registry);
  const enrollments = new EnrollmentRepository(db.collection('enrollments') as never, factory, locks, relay);
  await enrollments.init();
  const transitions = new TransitionRepository(db.collection('transitions') as never, factory, locks, relay);
  await transitions.init();
  const directory = new DirectoryView(db, ['persons', 'custody', 'units']);
  await directory.init();
  const consents = new ConsentView(db, revokeOnLostConsent(transitions, clock));
  await consents.init();
  const results = new ResultsView(db, directory);
  const externalResults = new ExternalResultsView(db, directory);
  const plans = new PlansView(db, directory);
  const copies = [results, externalResults, plans];
  for (const view of copies) await view.init();
  // The copies leave with the child, and with each record its source disposes of.
  directory.alsoForget(...copies);
  const disposals = followDisposals(copies);
  const audit = await startAuditLog(backbone, SERVICE, { runtime, logger: log, metrics, config });
  const privacy = await startPrivacy(backbone, { service: SERVICE, config, runtime, logger: log, audit, directory, clock, ...transitionsPrivacy(db, { locks, factory }) });

  await startProjectionConsumer(backbone, {
    groupId: config.TRANSITIONS_CONSUMER_GROUP,
    topics: [...directory.topics(), ...consents.topics(), ...copies.flatMap((view) => view.topics()), ...disposals.topics],
    handlers: Object.assign({ ...directory.handlers(), ...consents.handlers(), ...disposals.handlers }, ...copies.map((view) => view.handlers())),
    registry,
    runtime,
    logger: log,
    metrics,
  });

  const jobs = openImportJobs(db);
  await resumeImports({ jobs, enrollments, audit }, log);
  // An import whose request failed is taken up again once its back-off is over.
  runtime.every('enrollment import sweep', IMPORT_SWEEP_MS, () => resumeImports({ jobs, enrollments, audit }, log));
  const identity =
    config.IDENTITY_URL && config.TRANSITIONS_CLIENT_SECRET
      ? new ServiceTokenClient({ identityUrl: config.IDENTITY_URL, clientId: config.TRANSITIONS_CLIENT_ID, clientSecret: config.TRANSITIONS_CLIENT_SECRET, scope: 'persons:lookup' })
      : undefined;

  const completion = { transitions, enrollments, audit, locks, clock, logger: log };
  runtime.every('transition sweep', config.TRANSITIONS_SWEEP_SECONDS * 1000, () => completeDue(completion));
  const byMunicipality = JSON.parse(config.HANDOVER_LEGAL_BASIS_BY_MUNICIPALITY) as Record<string, LegalBasis>;

  const url = await serveAuthenticated({
    // The HTTP contract, checked against every exchange in tests; ../ is the package from src/ and dist/ alike.
    openapi: fileURLToPath(new URL('../openapi.yaml', import.meta.url)),
    service: SERVICE,
    config,
    runtime,
    extraBodyTypes: ['text/csv', 'application/csv'],
    logger: log,
    metrics,
    readiness: backbone.readiness,
    routes: (router) => {
      enrollmentRoutes(router, { enrollments, directory, clock, audit });
      privacy.routes(router);
      importRoutes(router, { jobs, enrollments, directory, identity, audit, logger: log });
      transitionRoutes(router, {
        transitions,
        enrollments,
        directory,
        consents,
        results,
        externalResults,
        plans,
        clock,
        legalBasis: (municipalityId) => byMunicipality[municipalityId] ?? config.HANDOVER_LEGAL_BASIS,
        complete: (id, by) => completeTransition(completion, id, by),
        audit,
        locks,
      });
    },
  });
  return { url, runtime, config, audit, privacy, completeDue: () => completeDue(completion) };
}
