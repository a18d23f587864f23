// Rebuild: replays the topics from the start under a fresh consumer group, folds every event
// into subjects in memory, and writes them and their cells into the emptied projections. Used by
// POST /admin/rebuild, `npm run reporting:rebuild` and the benchmark. A rebuild that dies half
// way leaves partial projections; run it again (it starts from empty).
import type { Logger } from 'pino';
import { replayTopics, type EventHandler, type EventTransport, type SchemaRegistry } from '@spor/events';
import { Folder, type Projections } from './projections.js';

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
}

export async function replayInto(projections: Projections, options: ReplayOptions): Promise<RebuildResult> {
  const started = performance.now();
  await projections.clear();
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
  const written = await projections.writeFolded(folder);
  const done = performance.now();
  options.logger.info({ events, ...written }, 'projections rebuilt from the topics');
  return { events, ...written, replayMs: Math.round(replayed - started), writeMs: Math.round(done - replayed), rebuiltInMs: Math.round(done - started) };
}
