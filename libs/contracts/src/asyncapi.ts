// The AsyncAPI document of Spor's events, for whoever serves or checks it. The file in the
// repository references the schema files by relative path (so it stays one source of truth
// with the registry); what a gateway serves is the same document with those files inlined,
// so a reader needs nothing else.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** `asyncapi.yaml` at the package root, beside `events/` (from `src/` and `dist/` alike). */
export const ASYNCAPI_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'asyncapi.yaml');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The document as written: external `$ref`s still point at files. */
export function asyncApiSource(): Record<string, Json> {
  return parse(readFileSync(ASYNCAPI_PATH, 'utf8')) as Record<string, Json>;
}

/**
 * The document with every file `$ref` replaced by the file's content (internal `#/...`
 * references stay), ready to be served as JSON or YAML. Read on each call: cache it if needed.
 */
export function asyncApiDocument(): Record<string, unknown> {
  return inlineFileRefs(asyncApiSource(), dirname(ASYNCAPI_PATH), []) as Record<string, unknown>;
}

function inlineFileRefs(node: Json, baseDir: string, chain: string[]): Json {
  if (Array.isArray(node)) return node.map((item) => inlineFileRefs(item, baseDir, chain));
  if (node === null || typeof node !== 'object') return node;
  const ref = node.$ref;
  if (typeof ref === 'string' && !ref.startsWith('#')) {
    // A sibling of $ref would be dropped silently by draft-07 readers: refuse it instead.
    if (Object.keys(node).length > 1) throw new Error(`$ref ${ref} has siblings; put them in the referenced file`);
    const file = resolve(baseDir, ref);
    if (chain.includes(file)) throw new Error(`circular $ref: ${[...chain, file].join(' -> ')}`);
    const content = JSON.parse(readFileSync(file, 'utf8')) as Json;
    return inlineFileRefs(content, dirname(file), [...chain, file]);
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inlineFileRefs(value, baseDir, chain)]));
}
