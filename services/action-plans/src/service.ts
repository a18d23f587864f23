// Wires action-plans together: configuration, database, the directory projection, events, the
// overdue sweep, HTTP. main.ts and the integration tests both start it through here.
import { fileURLToPath } from 'node:url';
import { prepareService, type Logger, type ServiceRuntime } from '@spor/service-kit';
import { EventFactory, startBackbone, startProjectionConsumer, topicFor } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { serveAuthenticated } from '@spor/auth';
import { ConsentView, DirectoryView, danishDay } from '@spor/directory';
import { startAuditLog, type AuditLog } from '@spor/audit';
import { actionPlansConfigSchema, type ActionPlansConfig } from './config.js';
import { PlanRepository } from './store/plan-repository.js';
import { overdueRoutes, planRoutes } from './http/plan.routes.js';
import { meetingRoutes, type ConcernNotification } from './http/meeting.routes.js';
import { caseRoutes } from './http/case.routes.js';
import { CaseRepository, type CouncilMeeting } from './store/case-repository.js';
import { flagOverdueEvaluations } from './overdue.js';
import { evaluationOverdue } from './domain/plan.js';
import { startPrivacy, type Privacy } from '@spor/privacy';
import { actionPlansPrivacy } from './privacy.js';

export const SERVICE = 'action-plans';
export const TOPICS = [topicFor(SERVICE, 'plan'), topicFor(SERVICE, 'resource-case')];

export interface RunningActionPlans {
  url: string;
  runtime: ServiceRuntime;
  config: ActionPlansConfig;
  audit: AuditLog;
  /** Retention, legal holds, parents' insight and the export (libs/privacy). */
  privacy: Privacy;
  /** Runs one overdue sweep now; answers how many plans were flagged. */
  flagOverdue: () => Promise<number>;
}

export async function startActionPlans(environment: NodeJS.ProcessEnv, options: { logger?: Logger; clock?: () => Date } = {}): Promise<RunningActionPlans> {
  const { config, log, runtime, metrics } = prepareService(SERVICE, actionPlansConfigSchema, environment, options.logger);
  const clock = options.clock ?? (() => new Date());

  const backbone = await startBackbone({
    service: SERVICE,
    mongoUrl: config.MONGO_URL,
    dbName: config.ACTION_PLANS_DB_NAME,
    kafkaBrokers: config.KAFKA_BROKERS,
    kafkaClientId: config.KAFKA_CLIENT_ID,
    runtime,
    logger: log,
    metrics,
    aggregateCollections: ['plans', 'resource_cases'],
    otherCollections: ['concern_notifications', 'council_meetings', ...DirectoryView.collections, ...ConsentView.collections],
    topics: TOPICS,
  });
  const { db, locks, relay } = backbone;
  const registry = contractRegistry();
  const factory = new EventFactory(SERVICE, registry);
  const plans = new PlanRepository(db.collection('plans') as never, factory, locks, relay);
  const cases = new CaseRepository(db.collection('resource_cases') as never, db.collection<CouncilMeeting>('council_meetings'), factory, locks, relay);
  await plans.init();
  const audit = await startAuditLog(backbone, SERVICE, { runtime, logger: log, metrics, config });
  const directory = new DirectoryView(db, ['persons', 'custody', 'units', 'enrollments']);
  await directory.init();
  const consents = new ConsentView(db);
  await consents.init();
  const privacy = await startPrivacy(backbone, { service: SERVICE, config, runtime, logger: log, audit, directory, clock, ...actionPlansPrivacy(db, locks) });
  const notifications = db.collection<ConcernNotification>('concern_notifications');
  await notifications.createIndex({ childId: 1 });
  // A child's cases: the mellemform grants a provision needs (CaseRepository.grantsFor), the child's export.
  await db.collection('resource_cases').createIndex({ childId: 1 });

  await startProjectionConsumer(backbone, { groupId: config.ACTION_PLANS_CONSUMER_GROUP, topics: [...directory.topics(), ...consents.topics()], handlers: { ...directory.handlers(), ...consents.handlers() }, registry, runtime, logger: log, metrics });
  const flagOverdue = () => flagOverdueEvaluations({ plans, clock, logger: log });
  runtime.every('overdue sweep', config.OVERDUE_SWEEP_SECONDS * 1000, flagOverdue);

  const url = await serveAuthenticated({
    // The HTTP contract, checked against every exchange in tests; ../ is the package from src/ and dist/ alike.
    openapi: fileURLToPath(new URL('../openapi.yaml', import.meta.url)),
    service: SERVICE,
    config,
    runtime,
    logger: log,
    metrics,
    readiness: backbone.readiness,
    routes: (router) => {
      const deps = { plans, directory, audit, clock };
      const { loadPlan } = planRoutes(router, deps);
      meetingRoutes(router, { ...deps, consents, cases, notifications, loadPlan });
      caseRoutes(router, { ...deps, cases, consents });
      privacy.routes(router);
      overdueRoutes(router, { ...deps, overdue: async () => (await plans.active()).filter((p) => evaluationOverdue(p, danishDay(clock()))) });
    },
  });
  return { url, runtime, config, audit, privacy, flagOverdue };
}
