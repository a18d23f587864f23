// npm start: the whole suite on this machine, FOR DEVELOPMENT ONLY. Starts the local Kafka and
// FerretDB (unless KAFKA_BROKERS / MONGO_URL point elsewhere), a development OIDC provider standing
// in for MitID and the staff IdP, identity (in this process: the seed needs a first administrator's
// token, which only identity's own keys can sign), every other service in services/ as a process of
// its own, waits until each answers /readyz, seeds the demo municipality through the services'
// APIs, prints where everything is and who can log in, and stops it all again on Ctrl-C.
// A second start reuses the data under .local/; a second start in parallel is refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError, pidAlive, portOpen, repoRoot, startFerret, startKafka, stateDir } from './infra-lib.js';
import { devEnvironment, devIdpClients, devOidcClientSecret, devPort, devTokenIssuer, devUrl } from './dev-env.js';
import { demoLogins, demoMunicipality } from './demo-municipality.js';
import { seedDemo } from './seed.js';
import { startDevIdp, type DevIdp } from '../../services/identity/dev/dev-idp.js';
import { startIdentity, type RunningIdentity } from '../../services/identity/src/service.js';
import { issueAccessToken } from '../../services/identity/src/domain/access-token.js';

const log = (message: string) => process.stderr.write(`[start] ${message}\n`);

const lockFile = join(stateDir, 'start.pid');

function releaseLock(): void {
  if (existsSync(lockFile) && Number(readFileSync(lockFile, 'utf8')) === process.pid) rmSync(lockFile, { force: true });
}

function takeLock(): void {
  mkdirSync(stateDir, { recursive: true });
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    if (pidAlive(pid)) throw new InfraError(`Spor is already running here (npm start, pid ${pid}); stop it with Ctrl-C in its terminal first`);
  }
  writeFileSync(lockFile, String(process.pid));
}

function serviceNames(): string[] {
  const dir = join(repoRoot, 'services');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'src', 'main.ts')))
    .sort();
}

async function waitReady(name: string, port: number, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new InfraError(`${name} exited with code ${child.exitCode} while starting; see its log lines above`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new InfraError(`${name} did not become ready on port ${port} within ${timeoutMs / 1000} s`);
}

/** `Bearer <token>` for a staff member, signed with identity's own keys: the seed's way in before anyone can log in. */
async function staffToken(identity: RunningIdentity, municipalityId: string, personId: string, roles: { role: string; unitId: string }[]): Promise<string> {
  const { token } = await issueAccessToken(identity.keys(), { issuer: identity.config.TOKEN_ISSUER, audience: identity.config.TOKEN_AUDIENCE, ttlSeconds: 300 }, { personId, kind: 'staff', municipalityId, roles }, new Date());
  return `Bearer ${token}`;
}

const children: { name: string; child: ChildProcess }[] = [];
const infra: { stop: () => Promise<void> }[] = [];
let idp: DevIdp | undefined;
let identity: RunningIdentity | undefined;
let stopping = false;

/** Stops what this start started, in reverse order; the data stays for the next start. */
async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping');
  for (const { child } of children) child.kill('SIGTERM');
  await Promise.all(children.map(({ child }) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once('exit', r)) : undefined)));
  await identity?.runtime.shutdown();
  await idp?.stop();
  await Promise.all(infra.map((i) => i.stop()));
  releaseLock();
  log('stopped; the data stays in .local/ for the next start');
  process.exit(exitCode);
}

async function main(): Promise<void> {
  takeLock();
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  // Every port is checked before anything starts, so a clash is named at once and nothing is left half-started.
  const names = serviceNames();
  for (const name of [...names, 'dev-idp']) {
    const port = devPort(name);
    if (await portOpen(port)) throw new InfraError(`port ${port} for ${name === 'dev-idp' ? 'the development OIDC provider' : name} is taken by another program; free it or move every port with SPOR_BASE_PORT=<port>`);
  }

  const kafkaPort = Number(process.env.SPOR_KAFKA_PORT ?? 9092);
  const mongoPort = Number(process.env.SPOR_MONGO_PORT ?? 27017);
  const [kafka, ferret] = await Promise.all([
    process.env.KAFKA_BROKERS ? undefined : startKafka({ dir: join(stateDir, 'kafka'), port: kafkaPort, controllerPort: Number(process.env.SPOR_KAFKA_CONTROLLER_PORT ?? 9093) }),
    process.env.MONGO_URL ? undefined : startFerret({ dir: join(stateDir, 'ferretdb'), port: mongoPort }),
  ]);
  if (kafka) infra.push(kafka);
  if (ferret) infra.push({ stop: ferret.stopAll });
  const brokers = process.env.KAFKA_BROKERS ?? kafka!.brokers;
  const mongoUrl = process.env.MONGO_URL ?? ferret!.url;
  const shared = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };

  const demo = demoMunicipality(process.env.SPOR_DEMO_MUNICIPALITY ?? '510');
  const logins = demoLogins(demo);
  idp = await startDevIdp({ port: devPort('dev-idp'), clients: devIdpClients(devTokenIssuer(), devOidcClientSecret()), demoAccounts: logins.map(({ label, account }) => ({ label, account })) });
  // identity first: the others verify tokens against its keys and read its topics.
  if (names.includes('identity')) {
    identity = await startIdentity({ ...process.env, ...shared, ...devEnvironment('identity'), PORT: String(devPort('identity')) });
  }
  for (const name of names.filter((n) => n !== 'identity')) {
    const port = devPort(name);
    const child = spawn(process.execPath, ['--conditions=spor-source', '--import', 'tsx', join(repoRoot, 'services', name, 'src', 'main.ts')], {
      env: { ...process.env, ...shared, ...devEnvironment(name), PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push({ name, child });
    await waitReady(name, port, child);
  }

  const gateway = names.includes('gateway') ? devUrl('gateway') : undefined;
  if (identity) {
    log(`seeding demo municipality ${demo.code} (a second start finds it and adds nothing)`);
    // Through the gateway, as any client would.
    const url = (service: string, path: string) => (gateway ? `${gateway}/api/${service}${path}` : `${devUrl(service)}${path}`);
    const seeded = await seedDemo(demo, { url, staffToken: (personId, roles) => staffToken(identity!, demo.code, personId, roles), log });
    log(`demo municipality ${demo.code} ready: ${seeded.units.size} units, ${demo.children.length} children`);
    // Pseudonymous ids only (no CPR numbers, no names), for scripts such as the README's walk-through.
    const ids = { municipality: demo.code, units: Object.fromEntries(seeded.units), persons: Object.fromEntries(seeded.persons) };
    writeFileSync(join(stateDir, 'demo-ids.json'), `${JSON.stringify(ids, null, 2)}\n`);
  }

  const out: string[] = ['', 'Spor is running. FOR DEVELOPMENT ONLY: invented people, a login that is not MitID, secrets in .local/.', ''];
  if (gateway) {
    out.push(`  Gateway         ${gateway}`, `  Documentation   ${gateway}/docs`);
  }
  for (const name of names) out.push(`  ${name.padEnd(15)} ${devUrl(name)}`);
  if (identity) out.push(`  Demo ids        ${join(stateDir, 'demo-ids.json')}  (units and people of the demo municipality)`);
  out.push(`  OIDC provider   ${idp.issuer}  (development only: stands in for MitID and the staff IdP)`, `  Kafka           ${brokers}`, `  Database        ${mongoUrl}`, '');
  const base = gateway ? devTokenIssuer() : devUrl('identity');
  out.push(
    `Log in with a browser at ${base}/auth/staff/login (staff) or ${base}/auth/citizen/login (parents, "MitID"),`,
    'pick a demo account, then POST /auth/token with the session cookie for an access token. With curl: see README.md, "The journey".',
    '',
    `Demo logins (municipality ${demo.code}; the account id goes after ?account= on the login page):`,
  );
  for (const { login, label, account } of logins.filter((l) => l.login === 'staff')) out.push(`  ${login.padEnd(7)} ${account.sub.padEnd(26)} ${label}`);
  const parents = logins.filter((l) => l.login === 'citizen');
  for (const { login, label, account } of parents.slice(0, 4)) out.push(`  ${login.padEnd(7)} ${account.sub.padEnd(26)} ${label}`);
  out.push(`  ... and ${parents.length - 4} more parents (every child's custody holders) on the login page`, '', 'Press Ctrl-C to stop everything.', '');
  process.stdout.write(out.join('\n'));

  // Stay in the foreground until Ctrl-C, and say so when a service dies on its own.
  const reported = new Set<string>();
  setInterval(() => {
    for (const { name, child } of children) {
      if (!stopping && child.exitCode !== null && !reported.has(name)) {
        reported.add(name);
        log(`${name} stopped by itself (exit code ${child.exitCode}); the others keep running`);
      }
    }
  }, 2_000);
}

main().catch((error: unknown) => {
  console.error(`[start] ${error instanceof InfraError ? error.message : (error as Error).stack}`);
  // A refusal before anything started (the lock, a port) leaves nothing to stop.
  if (children.length === 0 && infra.length === 0 && !idp) {
    releaseLock();
    process.exit(1);
  }
  void stopAll(1);
});
