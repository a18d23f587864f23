// One mongoose connection per service database: retried at start (the database may come
// up after the pod), indexes created explicitly and awaited so a failure stops start-up
// instead of being logged and forgotten by autoIndex.
import mongoose, { type Connection } from 'mongoose';
import type { Logger } from 'pino';

export interface ConnectOptions {
  url: string;
  dbName: string;
  logger: Logger;
  /** Attempts before giving up at start. */
  attempts?: number;
  /** Delay before the second attempt; doubles each time, capped at 10 s. */
  initialDelayMs?: number;
  serverSelectionTimeoutMS?: number;
  /** Connections per process; FerretDB holds a backend connection for each. */
  maxPoolSize?: number;
}

export async function connectMongo(options: ConnectOptions): Promise<Connection> {
  const attempts = options.attempts ?? 10;
  let delay = options.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    const connection = mongoose.createConnection(options.url, {
      dbName: options.dbName,
      autoIndex: false,
      autoCreate: false,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
      maxPoolSize: options.maxPoolSize ?? 20,
      // The database answers slowly rather than never; a hung socket should surface.
      socketTimeoutMS: 30_000,
    });
    try {
      await connection.asPromise();
      options.logger.info({ db: options.dbName, attempt }, 'database connected');
      return connection;
    } catch (error) {
      await connection.close().catch(() => undefined);
      if (attempt >= attempts) throw new Error(`could not connect to the database after ${attempt} attempts: ${(error as Error).message}`, { cause: error });
      options.logger.warn({ db: options.dbName, attempt, retryInMs: delay, err: error }, 'database not reachable, retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

/**
 * Creates collections that do not exist yet, one at a time. Every service creates its
 * collections at start: FerretDB 1.x on PostgreSQL can deadlock when concurrent writes
 * create the same collection implicitly (see docs/decisions/0002-ferretdb-for-tests.md).
 */
export async function ensureCollections(connection: Connection, names: string[]): Promise<void> {
  const db = connection.db;
  if (!db) throw new Error('ensureCollections needs an open connection');
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const name of names) {
    if (existing.has(name)) continue;
    await db.createCollection(name).catch((error: { codeName?: string; code?: number }) => {
      if (error.codeName !== 'NamespaceExists' && error.code !== 48) throw error;
    });
  }
}

/** Creates the collections and indexes of every model on the connection, and waits for them. */
export async function ensureIndexes(connection: Connection): Promise<void> {
  for (const model of Object.values(connection.models)) {
    await model.createCollection().catch((error: { codeName?: string; code?: number }) => {
      if (error.codeName !== 'NamespaceExists' && error.code !== 48) throw error;
    });
    await model.createIndexes();
  }
}

/** A readiness check: the database answers a ping now. */
export async function pingMongo(connection: Connection): Promise<void> {
  const db = connection.db;
  if (!db || connection.readyState !== 1) throw new Error('not connected');
  await db.admin().ping({ maxTimeMS: 1_500 });
}

/**
 * Whether a write was refused by a unique index. MongoDB and FerretDB's inserts answer code 11000;
 * FerretDB 1.x answers an update that would break a unique index with an internal error that
 * carries PostgreSQL's unique violation (SQLSTATE 23505) instead.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 11000 || (typeof message === 'string' && message.includes('SQLSTATE 23505'));
}
