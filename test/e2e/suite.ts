// The whole suite in this test process, on the real broker and store: the development OIDC
// provider, identity logging in through it, every other service, the gateway in front of them,
// and the demo municipality seeded through the gateway under a municipality code no other run
// uses. As in a cluster, identity's public address (its tokens' issuer, the login callbacks) is
// the gateway's /api/identity; services fetch its keys from identity directly.
import { quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { freePort } from '../../deploy/local/infra-lib.js';
import { devIdpClients, devLoginEnvironment, transitionsClient } from '../../deploy/local/dev-env.js';
import { demoLogins, demoMunicipality } from '../../deploy/local/demo-municipality.js';
import { seedDemo, type SeededDemo } from '../../deploy/local/seed.js';
import { startDevIdp, type DevIdp } from '../../services/identity/dev/dev-idp.js';
import { bearer, startTestIdentity } from '../../services/identity/test/support.js';
import type { RunningIdentity } from '../../services/identity/src/service.js';
import { startConsent } from '../../services/consent/src/service.js';
import { startTransitions } from '../../services/transitions/src/service.js';
import { startAssessments } from '../../services/assessments/src/service.js';
import { startActionPlans } from '../../services/action-plans/src/service.js';
import { startReporting } from '../../services/reporting/src/service.js';
import { startGateway } from '../../services/gateway/src/service.js';

export type ServiceName = 'identity' | 'consent' | 'transitions' | 'assessments' | 'action-plans' | 'reporting';

export interface Suite {
  brokers: string[];
  idp: DevIdp;
  identity: RunningIdentity;
  seeded: SeededDemo;
  gatewayUrl: string;
  /** Where a service's path is reached: through the gateway, /api/<service><path>. */
  api: (service: ServiceName, path: string) => string;
  /** Logs a demo account in through the OIDC provider and identity, as a browser would; answers `Bearer <access token>`. */
  login: (kind: 'staff' | 'citizen', account: string) => Promise<string>;
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
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const issuer = `${gatewayUrl}/api/identity`;
  // A three-digit code no other test uses (they use 510–515, 561 and 9xx), fresh for each run.
  const demo = demoMunicipality(String(600 + Math.floor(Math.random() * 300)));
  const idp = await startDevIdp({ port: await freePort(), clients: devIdpClients(issuer, SECRET), demoAccounts: demoLogins(demo) });
  stops.push(() => idp.stop());
  const identity = await startTestIdentity(quietLogger(), { ...devLoginEnvironment(idp.issuer, SECRET), TOKEN_ISSUER: issuer, SERVICE_CLIENTS: transitionsClient(TRANSITIONS_SECRET) });
  stops.push(() => identity.runtime.shutdown());
  const jwks = { TOKEN_ISSUER: issuer, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` };
  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', ...jwks };
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
  await started(
    startGateway(
      {
        PORT: String(gatewayPort),
        ...jwks,
        IDENTITY_URL: identity.url,
        CONSENT_URL: consent.url,
        TRANSITIONS_URL: transitions.url,
        ASSESSMENTS_URL: assessments.url,
        ACTION_PLANS_URL: actionPlans.url,
        REPORTING_URL: reporting.url,
        // The test polls while events travel, all from one address: the limits are not what it is about.
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        RATE_LIMIT_USER_PER_MINUTE: '100000',
      },
      options,
    ),
  );
  const api = (service: ServiceName, path: string) => `${gatewayUrl}/api/${service}${path}`;

  const code = demo.code;
  const seeded = await seedDemo(demo, {
    url: (service, path) => api(service as ServiceName, path),
    staffToken: (personId, roles) => bearer(identity, code, roles[0]!.role, { personId, roles }),
    // Fresh consumer groups read the topics from the start: on a shared development broker that holds
    // every earlier run's events this takes a while; on CI's fresh broker seconds.
    timeoutMs: 150_000,
    ...(process.env.JOURNEY_LOG ? { log: (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`) } : {}),
  });

  // As a browser with the development login page of npm start: to the login at the gateway, through
  // the IdP to its page of demo accounts, `?account=<id>` there, back to the callback at the gateway.
  const login = async (kind: 'staff' | 'citizen', account: string) => {
    const jar = new Map<string, string>();
    const go = async (url: string) => {
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const header of res.headers.getSetCookie()) {
        const [name, ...value] = header.split(';')[0]!.split('=');
        jar.set(name!.trim(), value.join('='));
      }
      const location = res.headers.get('location');
      return { res, next: location ? new URL(location, url).href : undefined };
    };
    let step = await go(`${issuer}/auth/${kind}/login`);
    let page = '';
    for (let hop = 0; step.next && hop < 10; hop++) {
      page = step.next;
      step = await go(step.next);
    }
    if (!/\/interaction\//.test(page)) throw new Error(`${kind} login did not reach the login page: ${step.res.status} ${page}`);
    step = await go(`${page}?account=${encodeURIComponent(account)}`);
    while (step.next && !step.next.startsWith(`${issuer}/auth/${kind}/callback`)) step = await go(step.next);
    if (!step.next) throw new Error(`${kind} login of ${account} did not come back: ${step.res.status} ${await step.res.text()}`);
    // With the login cookie identity set as the login began: the callback is finished only in that browser.
    const done = await fetch(step.next, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    const cookie = done.headers.getSetCookie().find((c) => c.includes('spor_session='))?.split(';')[0];
    if (done.status !== 303 || !cookie) throw new Error(`${kind} login of ${account} failed: ${done.status} ${await done.text()}`);
    const issued = await fetch(`${issuer}/auth/token`, { method: 'POST', headers: { cookie } });
    if (issued.status !== 200) throw new Error(`${kind} login of ${account} gave no token: ${issued.status} ${await issued.text()}`);
    return `Bearer ${((await issued.json()) as { access_token: string }).access_token}`;
  };

  return {
    brokers,
    gatewayUrl,
    idp,
    identity,
    seeded,
    api,
    login,
    stop,
  };
}
