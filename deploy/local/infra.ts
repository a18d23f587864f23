// npm run infra:up | infra:down | infra:status: the local Kafka broker and document store.
// When KAFKA_BROKERS or MONGO_URL is set, that part is taken as provided and nothing is started.
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { InfraError, kafkaAnswers, mongoAnswers, pidAlive, startFerret, startKafka, stateDir, stopPidFile, stopPostgres, ferretBackend, log } from './infra-lib.js';

export const localPorts = {
  kafka: Number(process.env.SPOR_KAFKA_PORT ?? 9092),
  controller: Number(process.env.SPOR_KAFKA_CONTROLLER_PORT ?? 9093),
  mongo: Number(process.env.SPOR_MONGO_PORT ?? 27017),
};

const kafkaDir = join(stateDir, 'kafka');
const ferretDir = join(stateDir, 'ferretdb');

function pidFrom(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  return pidAlive(pid) ? pid : undefined;
}

async function up(): Promise<void> {
  const started = Date.now();
  if (process.env.KAFKA_BROKERS) log(`KAFKA_BROKERS is set (${process.env.KAFKA_BROKERS}): using that broker, starting none`);
  if (process.env.MONGO_URL) log('MONGO_URL is set: using that database, starting none');
  const [kafka, mongo] = await Promise.all([
    process.env.KAFKA_BROKERS ? undefined : startKafka({ dir: kafkaDir, port: localPorts.kafka, controllerPort: localPorts.controller }),
    process.env.MONGO_URL ? undefined : startFerret({ dir: ferretDir, port: localPorts.mongo }),
  ]);
  if (kafka) log(`Kafka ready at ${kafka.brokers} (logs: ${kafka.logFile})`);
  if (mongo) log(`FerretDB ready at ${mongo.url} on its ${ferretBackend()} backend (logs: ${mongo.logFile})`);
  log(`infrastructure up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function down(): Promise<void> {
  await Promise.all([
    stopPidFile(join(kafkaDir, 'kafka.pid'), 'Kafka'),
    (async () => {
      await stopPidFile(join(ferretDir, 'ferretdb.pid'), 'FerretDB');
      await stopPostgres(join(ferretDir, 'postgres'));
    })(),
  ]);
  log('infrastructure stopped');
}

async function status(): Promise<boolean> {
  const brokers = process.env.KAFKA_BROKERS ?? `127.0.0.1:${localPorts.kafka}`;
  const url = process.env.MONGO_URL ?? `mongodb://127.0.0.1:${localPorts.mongo}`;
  const [k, m] = await Promise.all([kafkaAnswers(brokers), mongoAnswers(url)]);
  const kPid = process.env.KAFKA_BROKERS ? 'external' : `pid ${pidFrom(join(kafkaDir, 'kafka.pid')) ?? '-'}`;
  const mPid = process.env.MONGO_URL ? 'external' : `pid ${pidFrom(join(ferretDir, 'ferretdb.pid')) ?? '-'}`;
  console.log(`kafka     ${k ? 'up  ' : 'down'}  ${brokers}  (${kPid})`);
  console.log(`database  ${m ? 'up  ' : 'down'}  ${url.replace(/\/\/[^@]*@/, '//***@')}  (${mPid})`);
  return k && m;
}

const command = process.argv[2];
try {
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else if (command === 'status') process.exitCode = (await status()) ? 0 : 1;
  else {
    console.error('usage: infra.ts up | down | status');
    process.exitCode = 2;
  }
} catch (error) {
  if (error instanceof InfraError) {
    console.error(`[infra] ${error.message}`);
    process.exitCode = 1;
  } else throw error;
}
