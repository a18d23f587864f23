// Rebuild: replays the topics from the start under a fresh consumer group, folds every event
// into subjects in memory, then empties the projections and writes the subjects and their cells.
// Used by POST /admin/rebuild, `npm run reporting:rebuild` and the benchmark. The figures stay
// readable as they were while the topics are replayed (minutes); only the write leaves them
// partial for its duration. A rebuild that dies in the write leaves partial projections, which
// its lease records (rebuild-lease.ts) so that they are rebuilt again.
import type { Logger } from 'pino';
import { replayTopics, type EventHandler, type EventTransport, type SchemaRegistry } from '@spor/events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Folder, type Projections } from './projections.js';
import type { RebuildLease } from './rebuild-lease.js';

export interface RebuildResult {
  /** Events applied (of the types reporting counts). */
  events: number;
  subjects: number;
  cells: number;
  /** Records disposed of at their source, kept apart from their child. */
  disposed: number;
  replayMs: number;
  writeMs: number;
  rebuiltInMs: number;
}

export interface ReplayOptions {
  groupPrefix: string;
  topics: string[];
  registry: SchemaRegistry;
  transport: EventTransport;
  logger: Logger;
  timeoutMs?: number;
  /** Runs after the replay, before the projections are emptied. */
  beforeWrite?: () => Promise<void>;
}

export async function replayInto(projections: Projections, options: ReplayOptions): Promise<RebuildResult> {
  const started = performance.now();
  const folder = new Folder();
  let events = 0;
  const handlers: Record<string, EventHandler> = Object.fromEntries(
    Object.entries(folder.handlers()).map(([type, handler]) => [
      type,
      async (event, context) => {
        events++;
        await handler(event, context);
      },
    ]),
  );
  await replayTopics({ ...options, handlers, timeoutMs: options.timeoutMs ?? 60 * 60_000 });
  const replayed = performance.now();
  await options.beforeWrite?.();
  await projections.clear();
  const written = await projections.writeFolded(folder);
  const done = performance.now();
  options.logger.info({ events, ...written }, 'projections rebuilt from the topics');
  return { events, ...written, replayMs: Math.round(replayed - started), writeMs: Math.round(done - replayed), rebuiltInMs: Math.round(done - started) };
}

export interface LeasedRebuildOptions extends Omit<ReplayOptions, 'beforeWrite'> {
  /** How long the other replicas have to see the lease and pause before the projections are emptied. */
  settleMs: number;
}

/**
 * A rebuild under the lease (rebuild-lease.ts): null while another holder's lease is alive. The
 * lease is renewed while the topics are replayed, and marked partial before the projections are
 * emptied. It is released when the write is done, or when the rebuild fails before emptying
 * anything; a rebuild that fails after that leaves it partial, to be rebuilt once it is stale.
 */
export async function rebuildUnderLease(projections: Projections, lease: RebuildLease, options: LeasedRebuildOptions): Promise<RebuildResult | null> {
  if (!(await lease.acquire())) return null;
  const since = Date.now();
  const renew = () => void lease.beat().catch((error: unknown) => options.logger.warn({ err: error }, 'the rebuild lease could not be renewed'));
  const beat = setInterval(renew, Math.max(1000, Math.floor(lease.staleMs / 4)));
  let emptied = false;
  try {
    const result = await replayInto(projections, {
      ...options,
      beforeWrite: async () => {
        await sleep(Math.max(0, since + options.settleMs - Date.now()));
        await lease.markPartial();
        emptied = true;
      },
    });
    await lease.release();
    return result;
  } catch (error) {
    if (!emptied) await lease.release().catch(() => undefined);
    throw error;
  } finally {
    clearInterval(beat);
  }
}
