// Local Kafka and FerretDB, run from their real programs (no Docker here): downloads and
// builds are cached outside the clone, data and logs live under .local/ (git-ignored).
// Used by `npm run infra:*`, by `npm start`, and by tests that need a private instance.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync, chmodSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomUUID } from 'node:crypto';

export const KAFKA_VERSION = '3.9.1';
// The last 1.x release (ARCHITECTURE.md names 1.24.x); see docs/decisions/0002-ferretdb-for-tests.md.
export const FERRETDB_VERSION = 'v1.24.2';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const stateDir = process.env.SPOR_STATE_DIR ?? join(repoRoot, '.local');
export const cacheDir = process.env.SPOR_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'spor');

export class InfraError extends Error {}

function need(command: string, args: string[], advice: string): void {
  const probe = spawnSync(command, args, { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new InfraError(`${command} is needed: ${advice}`);
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: options.cwd, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new InfraError(`${command} ${args.join(' ')} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new InfraError(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${(result.stderr || result.stdout).slice(-4000)}`);
  return result.stdout;
}

export function log(message: string): void {
  process.stderr.write(`[infra] ${message}\n`);
}

// ---------------------------------------------------------------- provisioning

/** The Kafka jars (fetched once with mvn from Maven Central). */
export function kafkaClasspath(): string {
  const libs = join(cacheDir, `kafka-${KAFKA_VERSION}`, 'libs');
  const marker = join(libs, '.complete');
  if (!existsSync(marker)) {
    need('java', ['-version'], 'install a Java 17 (or newer) runtime to run Kafka, for example `apt-get install openjdk-17-jre-headless`');
    need('mvn', ['-v'], 'install Maven to fetch Kafka from Maven Central, for example `apt-get install maven`');
    log(`fetching Apache Kafka ${KAFKA_VERSION} from Maven Central into ${libs}`);
    rmSync(libs, { recursive: true, force: true });
    mkdirSync(libs, { recursive: true });
    run('mvn', ['-q', '-B', '-f', join(repoRoot, 'deploy/local/kafka/pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime']);
    if (!readdirSync(libs).some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) throw new InfraError('mvn finished but the Kafka jar is missing');
    writeFileSync(marker, new Date().toISOString());
  }
  return `${libs}/*`;
}

/** The FerretDB binary (built once with go from the Go module proxy). */
export function ferretdbBinary(): string {
  const binary = join(cacheDir, `ferretdb-${FERRETDB_VERSION}`, 'ferretdb');
  if (existsSync(binary)) return binary;
  need('go', ['version'], 'install Go 1.22 or newer to build FerretDB, for example from https://go.dev/dl or `apt-get install golang`');
  log(`building FerretDB ${FERRETDB_VERSION} with go (one time, about a minute)`);
  mkdirSync(cacheDir, { recursive: true });
  const module = JSON.parse(run('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], { cwd: cacheDir })) as { Dir?: string; Error?: string };
  if (!module.Dir) throw new InfraError(`go could not download FerretDB ${FERRETDB_VERSION}: ${module.Error}`);
  // The module cache is read-only and FerretDB needs its version file generated; build from a copy.
  const source = join(cacheDir, `ferretdb-${FERRETDB_VERSION}`, 'src');
  rmSync(source, { recursive: true, force: true });
  cpSync(module.Dir, source, { recursive: true });
  chmodRecursive(source);
  writeFileSync(join(source, 'build/version/version.txt'), `${FERRETDB_VERSION}\n`);
  run('go', ['build', '-trimpath', '-o', binary, './cmd/ferretdb'], { cwd: source, env: { GOFLAGS: '-mod=mod', CGO_ENABLED: '0' } });
  rmSync(source, { recursive: true, force: true });
  return binary;
}

function chmodRecursive(path: string): void {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    chmodSync(full, entry.isDirectory() ? 0o755 : 0o644);
    if (entry.isDirectory()) chmodRecursive(full);
  }
  chmodSync(path, 0o755);
}

// ---------------------------------------------------------------- processes

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = createConnection({ port, host });
    const finish = (open: boolean) => {
      socket.destroy();
      resolvePort(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : undefined;
}

function spawnDetached(command: string, args: string[], logFile: string, pidFile: string, cwd: string, env: NodeJS.ProcessEnv = process.env): number {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', out, out], env });
  child.unref();
  if (!child.pid) throw new InfraError(`${command} did not start`);
  writeFileSync(pidFile, String(child.pid));
  return child.pid;
}

export async function stopPidFile(pidFile: string, name: string, timeoutMs = 30_000): Promise<void> {
  const pid = readPid(pidFile);
  if (!pid) {
    rmSync(pidFile, { force: true });
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (pidAlive(pid)) {
    log(`${name} did not stop within ${timeoutMs / 1000} s; killing it`);
    process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logFile: string, pidFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (!readPid(pidFile)) {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n') : '';
      throw new InfraError(`${what} exited while starting; the end of ${logFile}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new InfraError(`${what} did not become ready within ${timeoutMs / 1000} s; see ${logFile}`);
}

// ---------------------------------------------------------------- Kafka

export interface KafkaInstance {
  brokers: string;
  port: number;
  pidFile: string;
  logFile: string;
  stop(): Promise<void>;
}

export async function startKafka(options: { dir: string; port: number; controllerPort: number; heap?: string }): Promise<KafkaInstance> {
  const { dir, port, controllerPort } = options;
  const dataDir = join(dir, 'data');
  const pidFile = join(dir, 'kafka.pid');
  const logFile = join(dir, 'kafka.log');
  const instance: KafkaInstance = { brokers: `127.0.0.1:${port}`, port, pidFile, logFile, stop: () => stopPidFile(pidFile, 'Kafka') };
  mkdirSync(dataDir, { recursive: true });
  if (readPid(pidFile) && (await portOpen(port))) return instance;
  for (const p of [port, controllerPort]) {
    if (await portOpen(p)) throw new InfraError(`port ${p} is taken by another program; free it, set SPOR_KAFKA_PORT / SPOR_KAFKA_CONTROLLER_PORT, or point KAFKA_BROKERS at a running broker`);
  }
  const classpath = kafkaClasspath();
  const properties = join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      '# Single local node: broker and KRaft controller in one process, replication factor 1.',
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=3',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=10',
      'group.initial.rebalance.delay.ms=0',
      'delete.topic.enable=true',
      '',
    ].join('\n'),
  );
  const javaCommon = ['-cp', classpath, `-Dlog4j.configuration=file:${join(repoRoot, 'deploy/local/kafka/log4j.properties')}`];
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    // `--cluster-id=<id>` in one argument: an id may begin with '-', which would read as an option (1 start in 64 failed).
    run('java', [...javaCommon, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId()}`, '-c', properties, '--ignore-formatted']);
  }
  const heap = options.heap ?? '512m';
  spawnDetached('java', [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-Djava.awt.headless=true', ...javaCommon, 'kafka.Kafka', properties], logFile, pidFile, dir);
  await waitFor('Kafka', () => kafkaAnswers(instance.brokers), 90_000, logFile, pidFile);
  return instance;
}

function clusterId(): string {
  // A KRaft cluster id is 16 random bytes in URL-safe base64 without padding.
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
}

export async function kafkaAnswers(brokers: string): Promise<boolean> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ clientId: 'spor-infra', brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 1_000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- PostgreSQL (FerretDB's backend)

/** The directory of PostgreSQL's server programs (Debian's postgresql package). */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new InfraError('PostgreSQL is needed as FerretDB\'s backend: install it, for example `apt-get install postgresql`, or set SPOR_FERRETDB_BACKEND=sqlite');
  return join(base, versions[0]!, 'bin');
}

/** PostgreSQL refuses to run as root; as root, its programs run as the postgres user. */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export interface PostgresInstance {
  url: string;
  stop(): Promise<void>;
}

/**
 * Where PostgreSQL keeps its files for `dir`: `dir` itself, unless this runs as root and the
 * postgres user cannot reach `dir` (a clone under /root, say); then a folder of its own under
 * /var/tmp, named after `dir`, so a second start still finds the same data.
 */
export function postgresHome(dir: string): string {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) return dir;
  const reachable = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dirname(dir)]).status === 0;
  if (reachable) return dir;
  const home = join('/var/tmp/spor-postgres', createHash('sha256').update(dir).digest('hex').slice(0, 16));
  mkdirSync(home, { recursive: true });
  if (!existsSync(join(dir, 'WHERE-IS-POSTGRES.txt'))) log(`the postgres user cannot reach ${dir}; PostgreSQL keeps its files in ${home}`);
  writeFileSync(join(dir, 'WHERE-IS-POSTGRES.txt'), `The postgres user cannot reach this folder, so PostgreSQL keeps its files in ${home}\n`);
  return home;
}

/** Indexes FerretDB 1.x's key lookups can use; applied to the local PostgreSQL at every start. */
export const POSTGRES_LOOKUPS_SQL = join(repoRoot, 'deploy', 'ferretdb', 'postgresql-lookups.sql');

export async function startPostgres(options: { dir: string; port: number }): Promise<PostgresInstance> {
  const bin = postgresBinDir();
  const home = postgresHome(options.dir);
  const dataDir = join(home, 'data');
  const logFile = join(home, 'postgres.log');
  const socketDir = home;
  if (process.getuid?.() === 0) run('chown', ['-R', 'postgres', home]);
  const pg = (program: string, args: string[]) => {
    const [command, finalArgs] = asPostgresUser(join(bin, program), args);
    return run(command, finalArgs);
  };
  const url = `postgres://postgres@127.0.0.1:${options.port}/ferretdb`;
  const stop = () => stopPostgres(options.dir);
  if (existsSync(join(dataDir, 'postmaster.pid')) && (await portOpen(options.port))) return { url, stop };
  if (await portOpen(options.port)) throw new InfraError(`port ${options.port} for PostgreSQL is taken by another program; free it or set SPOR_POSTGRES_PORT`);
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) pg('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-instructions']);
  // Local development and tests only: durability is traded for speed (fsync off).
  // force_custom_plan: see deploy/ferretdb/postgresql-lookups.sql (lookups by key use an index).
  const settings = [`-p ${options.port}`, `-k ${socketDir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200', '-c plan_cache_mode=force_custom_plan'];
  pg('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', settings.join(' '), 'start']);
  if (fresh) pg('createdb', ['-h', '127.0.0.1', '-p', String(options.port), '-U', 'postgres', 'ferretdb']);
  // At every start, not only the first: a data folder from before the script gets it too (it is idempotent).
  pg('psql', ['-h', '127.0.0.1', '-p', String(options.port), '-U', 'postgres', '-d', 'ferretdb', '-q', '-v', 'ON_ERROR_STOP=1', '-c', readFileSync(POSTGRES_LOOKUPS_SQL, 'utf8')]);
  return { url, stop };
}

// ---------------------------------------------------------------- FerretDB

export type FerretBackend = 'postgresql' | 'sqlite';

export function ferretBackend(): FerretBackend {
  const chosen = process.env.SPOR_FERRETDB_BACKEND ?? 'postgresql';
  if (chosen !== 'postgresql' && chosen !== 'sqlite') throw new InfraError(`SPOR_FERRETDB_BACKEND must be postgresql or sqlite, not "${chosen}"`);
  return chosen;
}

export interface FerretInstance {
  url: string;
  port: number;
  pidFile: string;
  logFile: string;
  /** Stops FerretDB; its PostgreSQL keeps running (see stopAll). */
  stop(): Promise<void>;
  /** Stops FerretDB and its PostgreSQL backend. */
  stopAll(): Promise<void>;
}

/** The Go collector's target for FerretDB, as deploy/OPERATIONS.md recommends for production. */
export const FERRETDB_GOGC = '400';

export async function startFerret(options: { dir: string; port: number; postgresPort?: number; backend?: FerretBackend }): Promise<FerretInstance> {
  const { dir, port } = options;
  const backend = options.backend ?? ferretBackend();
  const pidFile = join(dir, 'ferretdb.pid');
  const logFile = join(dir, 'ferretdb.log');
  mkdirSync(dir, { recursive: true });
  const postgres =
    backend === 'postgresql'
      ? await startPostgres({ dir: join(dir, 'postgres'), port: options.postgresPort ?? Number(process.env.SPOR_POSTGRES_PORT ?? 54329) })
      : undefined;
  const stop = () => stopPidFile(pidFile, 'FerretDB');
  const instance: FerretInstance = {
    url: `mongodb://127.0.0.1:${port}`,
    port,
    pidFile,
    logFile,
    stop,
    stopAll: async () => {
      await stop();
      await postgres?.stop();
    },
  };
  if (readPid(pidFile) && (await portOpen(port))) return instance;
  if (await portOpen(port)) throw new InfraError(`port ${port} is taken by another program; free it, set SPOR_MONGO_PORT, or point MONGO_URL at a running MongoDB`);
  const binary = ferretdbBinary();
  const backendArgs = postgres ? ['--handler=postgresql', `--postgresql-url=${postgres.url}`] : ['--handler=sqlite', `--sqlite-url=file:${join(dir, 'data')}/`];
  if (!postgres) mkdirSync(join(dir, 'data'), { recursive: true });
  spawnDetached(
    binary,
    [...backendArgs, `--state-dir=${dir}`, `--listen-addr=127.0.0.1:${port}`, '--telemetry=disable', '--debug-addr=-', '--log-level=warn', '--log-format=json'],
    logFile,
    pidFile,
    dir,
    // Go's collector at its default (GOGC=100) took a fifth of FerretDB's CPU per completion in
    // bench:assessments; at 400 FerretDB used 2.9 instead of 3.6-4.3 ms and its resident memory
    // did not grow (deploy/OPERATIONS.md). A GOGC set by the caller is kept.
    { ...process.env, GOGC: process.env.GOGC ?? FERRETDB_GOGC },
  );
  await waitFor('FerretDB', () => mongoAnswers(instance.url), 30_000, logFile, pidFile);
  return instance;
}

export async function mongoAnswers(url: string): Promise<boolean> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Stops a local PostgreSQL started by startPostgres, if it runs. */
export async function stopPostgres(dir: string): Promise<void> {
  const dataDir = join(postgresHome(dir), 'data');
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  const [command, args] = asPostgresUser(join(postgresBinDir(), 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  spawnSync(command, args, { stdio: 'ignore' });
}
