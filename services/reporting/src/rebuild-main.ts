// `npm run reporting:rebuild`: replays every topic reporting reads into emptied projections and
// prints what it did. Stop the service first (or use POST /admin/rebuild, which pauses the live
// consumer itself): a live consumer writing meanwhile would add to cells being rebuilt.
import { connectMongo, ensureCollections } from '@spor/mongo';
import { KafkajsTransport } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { createLogger, loadConfig, runMain } from '@spor/service-kit';
import { reportingConfigSchema } from './config.js';
import { Projections } from './store/projections.js';
import { replayInto } from './store/rebuild.js';

runMain('reporting-rebuild', async () => {
  // No token settings: the rebuild serves nothing.
  const config = loadConfig(reportingConfigSchema.pick({ MONGO_URL: true, KAFKA_BROKERS: true, LOG_LEVEL: true, REPORTING_DB_NAME: true, REPORTING_CONSUMER_GROUP: true }), process.env);
  const logger = createLogger({ service: 'reporting-rebuild', level: config.LOG_LEVEL });
  const connection = await connectMongo({ url: config.MONGO_URL, dbName: config.REPORTING_DB_NAME, logger });
  await ensureCollections(connection, Projections.collections);
  const projections = new Projections(connection.db!);
  await projections.init();
  const transport = new KafkajsTransport({ clientId: 'reporting-rebuild', brokers: config.KAFKA_BROKERS, logger });
  try {
    const result = await replayInto(projections, { groupPrefix: config.REPORTING_CONSUMER_GROUP, topics: projections.topics(), registry: contractRegistry(), transport, logger });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await transport.close();
    await connection.close();
  }
});
