// Wires assessments together: configuration, database, the directory projection, events, HTTP.
// main.ts and the integration tests both start assessments through here.
import { fileURLToPath } from 'node:url';
import { prepareService, type Logger, type ServiceRuntime } from '@spor/service-kit';
import { EventFactory, startBackbone, startProjectionConsumer, topicFor } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { ServiceTokenClient, serveAuthenticated } from '@spor/auth';
import { DirectoryView } from '@spor/directory';
import { startAuditLog, type AuditLog } from '@spor/audit';
import { assessmentsConfigSchema, type AssessmentsConfig } from './config.js';
import { AssessmentRepository } from './store/assessment-repository.js';
import { InstrumentCatalogue, type StoredInstrument } from './store/instrument-catalogue.js';
import { assessmentRoutes } from './http/assessment.routes.js';
import { instrumentRoutes } from './http/instrument.routes.js';
import { dutyRoutes, type Presumption, type StoredRound } from './http/duty.routes.js';
import { externalResultRoutes } from './http/external-result.routes.js';
import { IMPORT_BODY_TYPES, externalResultImportRoutes } from './http/external-result-import.routes.js';
import { ExternalResults, openResultImportJobs, type StoredResult } from './store/external-results.js';
import { ResultImporter } from './result-importer.js';
import { startPrivacy, type Privacy } from '@spor/privacy';
import { assessmentsPrivacy, backfillPresumptionMunicipalities } from './privacy.js';

export const SERVICE = 'assessments';
export const TOPICS = [topicFor(SERVICE, 'assessment'), topicFor(SERVICE, 'external-result')];

export interface RunningAssessments {
  url: string;
  runtime: ServiceRuntime;
  config: AssessmentsConfig;
  audit: AuditLog;
  /** Finishes import jobs left unfinished (what the periodic sweep does); answers how many. */
  resumeImports: () => Promise<number>;
  /** Retention, legal holds, parents' insight and the export (libs/privacy). */
  privacy: Privacy;
}

export interface AssessmentsOptions {
  logger?: Logger;
  clock?: () => Date;
}

export async function startAssessments(environment: NodeJS.ProcessEnv, options: AssessmentsOptions = {}): Promise<RunningAssessments> {
  const { config, log, runtime, metrics } = prepareService(SERVICE, assessmentsConfigSchema, environment, options.logger);
  const clock = options.clock ?? (() => new Date());

  const backbone = await startBackbone({
    service: SERVICE,
    mongoUrl: config.MONGO_URL,
    dbName: config.ASSESSMENTS_DB_NAME,
    kafkaBrokers: config.KAFKA_BROKERS,
    kafkaClientId: config.KAFKA_CLIENT_ID,
    runtime,
    logger: log,
    metrics,
    aggregateCollections: ['assessments', ...ExternalResults.aggregateCollections],
    otherCollections: ['instruments', 'rounds', 'language_presumptions', ...ExternalResults.collections, ...DirectoryView.collections],
    topics: TOPICS,
  });
  const { db, locks, relay } = backbone;
  const registry = contractRegistry();
  const factory = new EventFactory(SERVICE, registry);
  const assessments = new AssessmentRepository(db.collection('assessments') as never, factory, locks, relay);
  await assessments.init();
  const catalogue = new InstrumentCatalogue(db.collection<StoredInstrument>('instruments'));
  await catalogue.init();
  const audit = await startAuditLog(backbone, SERVICE, { runtime, logger: log, metrics, config });
  const directory = new DirectoryView(db, ['persons', 'custody', 'units', 'enrollments']);
  await directory.init();
  await backfillPresumptionMunicipalities(db, directory);
  const privacy = await startPrivacy(backbone, { service: SERVICE, config, runtime, logger: log, audit, directory, clock, disposesRemovedChildren: true, ...assessmentsPrivacy(db, locks, directory) });
  // (disposesRemovedChildren: a child whose entry left the directory, erased as registered in
  // error or by identity's retention, can no longer be exported, shown to its parents or held:
  // its records here go too.)

  const results = new ExternalResults(db.collection<StoredResult>('external_results'), factory, locks, relay);
  await results.init();
  const jobs = openResultImportJobs(db, clock);
  const importer = new ResultImporter({ jobs, results, audit, logger: log, clock });
  // Stops before the database closes (stop steps run last-registered first): the rows in hand finish.
  runtime.onStop('external-result imports', () => importer.stop());
  void importer.resume().catch((error: unknown) => log.error({ err: error }, 'resuming external-result imports failed; the sweep retries'));
  runtime.every('external-result import sweep', config.ASSESSMENTS_IMPORT_SWEEP_SECONDS * 1000, () => importer.resume());
  const identity =
    config.IDENTITY_URL && config.ASSESSMENTS_CLIENT_SECRET
      ? new ServiceTokenClient({ identityUrl: config.IDENTITY_URL, clientId: config.ASSESSMENTS_CLIENT_ID, clientSecret: config.ASSESSMENTS_CLIENT_SECRET, scope: 'persons:lookup' })
      : undefined;

  await startProjectionConsumer(backbone, { groupId: config.ASSESSMENTS_CONSUMER_GROUP, topics: directory.topics(), handlers: directory.handlers(), registry, runtime, logger: log, metrics });
  const url = await serveAuthenticated({
    // The HTTP contract, checked against every exchange in tests; ../ is the package from src/ and dist/ alike.
    openapi: fileURLToPath(new URL('../openapi.yaml', import.meta.url)),
    service: SERVICE,
    config,
    runtime,
    logger: log,
    metrics,
    readiness: backbone.readiness,
    extraBodyTypes: IMPORT_BODY_TYPES,
    routes: (router) => {
      instrumentRoutes(router, catalogue, audit);
      assessmentRoutes(router, { assessments, catalogue, directory, audit, clock });
      // A result older than the municipality keeps results is refused, not written to be deleted at once.
      const keptDays = async (municipalityId: string) => (await privacy.retention.periods(municipalityId)).find((k) => k.kind === 'external-result')!.days;
      externalResultRoutes(router, { results, directory, audit, clock, keptDays });
      externalResultImportRoutes(router, { jobs, importer, directory, audit, identity, bodyLimit: config.ASSESSMENTS_IMPORT_BODY_LIMIT, clock, keptDays });
      privacy.routes(router);
      dutyRoutes(router, { rounds: db.collection<StoredRound>('rounds'), presumptions: db.collection<Presumption>('language_presumptions'), assessments, catalogue, directory, audit, clock });
    },
  });
  return { url, runtime, config, audit, resumeImports: () => importer.resume(), privacy };
}
