// npm start: the whole suite on this machine. Starts the local Kafka and FerretDB (unless
// KAFKA_BROKERS / MONGO_URL point elsewhere), then every service in services/, waits until
// each answers /readyz, prints where everything is, and stops it all again on Ctrl-C.
// A second start reuses the data under .local/; a second start in parallel is refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError, log, pidAlive, portOpen, repoRoot, startFerret, startKafka, stateDir } from './infra-lib.js';
import { devEnvironment, devPort } from './dev-env.js';

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

async function main(): Promise<void> {
  takeLock();
  const children: { name: string; child: ChildProcess }[] = [];
  const infra: { stop: () => Promise<void> }[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    log('stopping');
    for (const { child } of children) child.kill('SIGTERM');
    await Promise.all(children.map(({ child }) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : undefined)));
    await Promise.all(infra.map((i) => i.stop()));
    releaseLock();
    log('stopped; the data stays in .local/ for the next start');
    process.exit(0);
  };
  process.once('SIGINT', () => void stopAll());
  process.once('SIGTERM', () => void stopAll());

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

  const names = serviceNames();
  for (const name of names) {
    const port = devPort(name);
    if (await portOpen(port)) throw new InfraError(`port ${port} for ${name} is taken by another program; free it or set SPOR_BASE_PORT`);
    const child = spawn(process.execPath, ['--conditions=spor-source', '--import', 'tsx', join(repoRoot, 'services', name, 'src', 'main.ts')], {
      env: { ...process.env, ...devEnvironment(name), PORT: String(port), MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push({ name, child });
    await waitReady(name, port, child);
  }

  console.log('\nSpor is running (for development only).');
  console.log(`  Kafka        ${brokers}`);
  console.log(`  Database     ${mongoUrl}`);
  if (names.length === 0) console.log('  Services   none yet: services/ holds no service with src/main.ts');
  for (const name of names) console.log(`  ${name.padEnd(13)} http://127.0.0.1:${devPort(name)}`);
  console.log('Press Ctrl-C to stop everything.\n');

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
  releaseLock();
  process.exit(1);
});
