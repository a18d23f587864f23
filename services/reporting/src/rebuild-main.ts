// `npm run reporting:rebuild`: replays every topic reporting reads into emptied projections and
// prints what it did. It takes the rebuild lease as POST /admin/rebuild does, so running replicas
// pause their live consumers meanwhile, and it is refused while another rebuild runs.
import { connectMongo, ensureCollections } from '@spor/mongo';
import { KafkajsTransport } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { hostname } from 'node:os';
import { createLogger, loadConfig, runMain } from '@spor/service-kit';
import { reportingConfigSchema } from './config.js';
import { Projections } from './store/projections.js';
import { rebuildUnderLease } from './store/rebuild.js';
import { RebuildLease } from './store/rebuild-lease.js';

runMain('reporting-rebuild', async () => {
  // No token settings: the rebuild serves nothing.
  const config = loadConfig(reportingConfigSchema.pick({ MONGO_URL: true, KAFKA_BROKERS: true, LOG_LEVEL: true, REPORTING_DB_NAME: true, REPORTING_CONSUMER_GROUP: true, REPORTING_REBUILD_WATCH_MS: true, REPORTING_REBUILD_STALE_SECONDS: true }), process.env);
  const logger = createLogger({ service: 'reporting-rebuild', level: config.LOG_LEVEL });
  const connection = await connectMongo({ url: config.MONGO_URL, dbName: config.REPORTING_DB_NAME, logger });
  await ensureCollections(connection, [...Projections.collections, ...RebuildLease.collections]);
  const projections = new Projections(connection.db!);
  await projections.init();
  const transport = new KafkajsTransport({ clientId: 'reporting-rebuild', brokers: config.KAFKA_BROKERS, logger });
  try {
    const lease = new RebuildLease(connection.db!, `cli:${hostname()}:${process.pid}`, config.REPORTING_REBUILD_STALE_SECONDS * 1000);
    const result = await rebuildUnderLease(projections, lease, { groupPrefix: config.REPORTING_CONSUMER_GROUP, topics: projections.topics(), registry: contractRegistry(), transport, logger, settleMs: 2 * config.REPORTING_REBUILD_WATCH_MS + 500 });
    if (!result) throw new Error(`a rebuild is running already (lease holder ${(await lease.current())?.holder ?? 'gone'}): try again when it is done`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await transport.close();
    await connection.close();
  }
});
