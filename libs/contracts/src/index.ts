// Where the event schemas live, and a registry loaded with them. Every event type has one
// schema file here, `<type>.schema.json`, whose `x-event-type` names the type.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@spor/events';

export const EVENT_SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'events');

/** A registry holding every Spor event schema. */
export function contractRegistry(): SchemaRegistry {
  const registry = new SchemaRegistry();
  registry.registerDirectory(EVENT_SCHEMA_DIR);
  return registry;
}

export { ASYNCAPI_PATH, asyncApiDocument, asyncApiSource } from './asyncapi.js';
