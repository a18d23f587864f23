// The whole suite in this test process, on the real broker and store: the development OIDC
// provider, identity logging in through it, every other service, and the demo municipality
// seeded through their APIs under a municipality code no other run uses. Calls go through
// `api(service, path)`, so the journey reads the same whichever way the services are reached.
import { quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { freePort } from '../../deploy/local/infra-lib.js';
import { devIdpClients, devLoginEnvironment, transitionsClient } from '../../deploy/local/dev-env.js';
import { demoMunicipality } from '../../deploy/local/demo-municipality.js';
import { seedDemo, type SeededDemo } from '../../deploy/local/seed.js';
import { startDevIdp, NSIS, type DevIdp } from '../../services/identity/dev/dev-idp.js';
import { bearer, browseLogin, finishLogin, startTestIdentity, tokenFromSession } from '../../services/identity/test/support.js';
import type { RunningIdentity } from '../../services/identity/src/service.js';
import { startConsent } from '../../services/consent/src/service.js';
import { startTransitions } from '../../services/transitions/src/service.js';
import { startAssessments } from '../../services/assessments/src/service.js';
import { startActionPlans } from '../../services/action-plans/src/service.js';
import { startReporting } from '../../services/reporting/src/service.js';

export type ServiceName = 'identity' | 'consent' | 'transitions' | 'assessments' | 'action-plans' | 'reporting';

export interface Suite {
  brokers: string[];
  idp: DevIdp;
  identity: RunningIdentity;
  seeded: SeededDemo;
  /** Where a service's path is reached. */
  api: (service: ServiceName, path: string) => string;
  /** Logs a demo person in through the OIDC provider and identity, as a browser would; answers `Bearer <access token>`. */
  login: (kind: 'staff' | 'citizen', account: { sub: string; email?: string; cpr?: string }) => Promise<string>;
  stop: () => Promise<void>;
}

const SECRET = 'journey-oidc-client-secret-0123456789';
const TRANSITIONS_SECRET = 'journey-transitions-secret-0123456789';

export async function startSuite(): Promise<Suite> {
  const { brokers, mongoUrl } = testInfra();
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.splice(0)) await step();
  };
  try {
    return await start(brokers, mongoUrl, stops, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function start(brokers: string[], mongoUrl: string, stops: (() => Promise<void>)[], stop: () => Promise<void>): Promise<Suite> {
  const idp = await startDevIdp({ port: await freePort(), clients: devIdpClients('https://identity.spor.test', SECRET) });
  stops.push(() => idp.stop());
  const identity = await startTestIdentity(quietLogger(), { ...devLoginEnvironment(idp.issuer, SECRET), SERVICE_CLIENTS: transitionsClient(TRANSITIONS_SECRET) });
  stops.push(() => identity.runtime.shutdown());
  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` };
  const options = { logger: quietLogger() };
  // One after another: each creates the topics it reads, and a broker that has only just created a
  // topic may not serve it yet to a consumer another service starts in the same moment.
  const started = async <T extends { runtime: { shutdown: () => Promise<void> } }>(service: Promise<T>): Promise<T> => {
    const running = await service;
    stops.unshift(() => running.runtime.shutdown());
    return running;
  };
  const consent = await started(startConsent({ ...common, CONSENT_DB_NAME: uniqueName('journey-consent'), CONSENT_DIRECTORY_GROUP: uniqueName('journey-consent') }, options));
  const transitions = await started(startTransitions({ ...common, TRANSITIONS_DB_NAME: uniqueName('journey-transitions'), TRANSITIONS_CONSUMER_GROUP: uniqueName('journey-transitions'), IDENTITY_URL: identity.url, TRANSITIONS_CLIENT_SECRET: TRANSITIONS_SECRET }, options));
  const assessments = await started(startAssessments({ ...common, ASSESSMENTS_DB_NAME: uniqueName('journey-assessments'), ASSESSMENTS_CONSUMER_GROUP: uniqueName('journey-assessments') }, options));
  const actionPlans = await started(startActionPlans({ ...common, ACTION_PLANS_DB_NAME: uniqueName('journey-action-plans'), ACTION_PLANS_CONSUMER_GROUP: uniqueName('journey-action-plans') }, options));
  const reporting = await started(startReporting({ ...common, REPORTING_DB_NAME: uniqueName('journey-reporting'), REPORTING_CONSUMER_GROUP: uniqueName('journey-reporting') }, options));
  const urls: Record<ServiceName, string> = { identity: identity.url, consent: consent.url, transitions: transitions.url, assessments: assessments.url, 'action-plans': actionPlans.url, reporting: reporting.url };
  const api = (service: ServiceName, path: string) => `${urls[service]}${path}`;

  // A three-digit code no other test uses (they use 510–515, 561 and 9xx), fresh for each run.
  const code = String(600 + Math.floor(Math.random() * 300));
  const seeded = await seedDemo(demoMunicipality(code), {
    url: (service, path) => api(service as ServiceName, path),
    staffToken: (personId, roles) => bearer(identity, code, roles[0]!.role, { personId, roles }),
    // Fresh consumer groups read the topics from the start: on a shared development broker that holds
    // every earlier run's events this takes a while; on CI's fresh broker seconds.
    timeoutMs: 150_000,
    ...(process.env.JOURNEY_LOG ? { log: (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`) } : {}),
  });

  const login = async (kind: 'staff' | 'citizen', account: { sub: string; email?: string; cpr?: string }) => {
    idp.nextLogin = { account, acr: NSIS.substantial };
    const { cookie } = await finishLogin(identity, await browseLogin(identity.url, idp.issuer, kind, `${identity.config.TOKEN_ISSUER}/auth/${kind}/callback`));
    const issued = await tokenFromSession(identity, cookie);
    if (issued.status !== 200) throw new Error(`${kind} login of ${account.sub} gave no token: ${issued.status} ${await issued.text()}`);
    return `Bearer ${((await issued.json()) as { access_token: string }).access_token}`;
  };

  return {
    brokers,
    idp,
    identity,
    seeded,
    api,
    login,
    stop,
  };
}
