// npm run audit:verify -- --service <name> [--db <database>] [--mongo-url <url>]
// Verifies the hash chains of one service's audit log, and tells how far each is shipped to
// spor.audit.access.v1. Exit 0: every chain holds; exit 1: the
// first broken entry is named; exit 64: bad arguments. The database is the service's own
// (<SERVICE>_DB_NAME, else spor-<service>) on MONGO_URL, as the service itself would find it.
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { auditShipping, verifyAuditLog } from './verify.js';

async function main(): Promise<number> {
  let values: { service?: string; db?: string; 'mongo-url'?: string };
  try {
    ({ values } = parseArgs({ options: { service: { type: 'string' }, db: { type: 'string' }, 'mongo-url': { type: 'string' } } }));
  } catch (error) {
    console.error((error as Error).message);
    return 64;
  }
  if (!values.service && !values.db) {
    console.error('usage: npm run audit:verify -- --service <name> [--db <database>] [--mongo-url <url>]');
    return 64;
  }
  const dbName = values.db ?? process.env[`${values.service!.toUpperCase().replace(/-/g, '_')}_DB_NAME`] ?? `spor-${values.service}`;
  const client = await MongoClient.connect(values['mongo-url'] ?? process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
  try {
    const result = await verifyAuditLog(client.db(dbName));
    if (result.ok) {
      process.stdout.write(`audit log of ${dbName}: ${result.entries} entries in ${result.chains} chain(s), all intact\n`);
      // Where shipping stands: a chain waiting with an old beat and not closed is picked up by a live replica's sweep.
      for (const c of await auditShipping(client.db(dbName))) {
        const writer = c.closed ? 'closed' : c.aliveAt ? `writer beat ${c.aliveAt.toISOString()}` : 'writer never beat';
        process.stdout.write(`  chain ${c.chain}: shipped to ${c.shipped} of ${c.head} (${c.waiting} waiting), ${writer}\n`);
      }
      return 0;
    }
    const b = result.firstBroken!;
    console.error(`audit log of ${dbName}: BROKEN at entry ${b.entryId} (chain ${b.chain}, seq ${b.seq}): ${b.reason}`);
    return 1;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`audit:verify failed: ${(error as Error)?.stack ?? String(error)}`);
    process.exit(2);
  },
);
