// A service's OpenAPI document, loaded from YAML with its references into shared files resolved:
// the gateway serves it and the contract check reads it, so both see one self-contained document.
// Shared pieces live in libs/contracts/openapi/common.yaml and are referenced as
// `<relative file>#/components/<kind>/<name>` (hoisted into the document's own components,
// so the result still uses `#/components/...` references and stays small) or as
// `<relative file>#/<any other pointer>` (copied in place, e.g. shared path items).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';

export type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
};

const cache = new Map<string, OpenApiDocument>();

function readYaml(file: string): unknown {
  return parse(readFileSync(file, 'utf8'));
}

function pointer(document: unknown, fragment: string, where: string): unknown {
  let node = document;
  for (const raw of fragment.replace(/^\//, '').split('/').filter((p) => p !== '')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) throw new Error(`${where}: $ref target #${fragment} does not exist`);
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The document at `file` (YAML or JSON) with every reference into another file resolved. */
export function loadOpenApiDocument(file: string): OpenApiDocument {
  const path = resolve(file);
  const cached = cache.get(path);
  if (cached) return structuredClone(cached);
  const root = readYaml(path) as OpenApiDocument;
  if (!root || typeof root !== 'object' || typeof root.openapi !== 'string') throw new Error(`${path} is not an OpenAPI document`);
  const files = new Map<string, unknown>([[path, root]]);
  const hoisted = new Map<string, string>(); // "<file>#<pointer>" -> local ref
  const own = root.components ?? {};
  const components: Record<string, Record<string, unknown>> = {}; // hoisted from shared files

  const external = (from: string, ref: string) => {
    const [relative, fragment = ''] = ref.split('#');
    const target = resolve(dirname(from), relative!);
    if (!files.has(target)) files.set(target, readYaml(target));
    return { target, fragment, node: pointer(files.get(target), fragment, `${from} -> ${ref}`) };
  };

  // Rewrites the references of `node`, which was read from `file`.
  const visit = (node: unknown, file: string): unknown => {
    if (Array.isArray(node)) return node.map((item) => visit(item, file));
    if (node === null || typeof node !== 'object') return node;
    const object = node as Record<string, unknown>;
    const ref = object.$ref;
    if (typeof ref === 'string' && !ref.startsWith('#')) {
      const { target, fragment, node: found } = external(file, ref);
      const component = /^\/components\/([^/]+)\/([^/]+)$/.exec(fragment);
      if (!component) return visit(structuredClone(found), target); // inlined in place
      const key = `${target}#${fragment}`;
      let local = hoisted.get(key);
      if (!local) {
        const [, kind, name] = component as unknown as [string, string, string];
        const section = (components[kind] ??= {});
        // `components: { kind: { name: { $ref: shared#/components/kind/name } } }` delegates to the shared piece.
        const delegates = (own[kind]?.[name] as { $ref?: unknown } | undefined)?.$ref === ref;
        if (name in section || (name in (own[kind] ?? {}) && !delegates)) throw new Error(`${path}: components.${kind}.${name} exists twice (here and in ${target})`);
        local = `#/components/${kind}/${name}`;
        hoisted.set(key, local);
        section[name] = {}; // reserved before visiting, so cycles end
        section[name] = visit(structuredClone(found), target);
      }
      return { ...object, $ref: local };
    }
    if (typeof ref === 'string' && file !== path) {
      // A local reference inside a shared file points into that file: hoist what it names.
      return visit({ ...object, $ref: `${file}${ref}` }, path);
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, visit(v, file)]));
  };

  const bundled = visit(root, path) as OpenApiDocument;
  bundled.components ??= {};
  for (const [kind, section] of Object.entries(components)) bundled.components[kind] = { ...(bundled.components[kind] ?? {}), ...section };
  cache.set(path, bundled);
  return structuredClone(bundled);
}
