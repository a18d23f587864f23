// The part of the versioning policy (docs/contracts.md) a test can hold cheaply: a committed
// snapshot of every event type's fields, their types and which are required, compared with the
// schemas as they are now. What breaks a consumer of `.v1` is named as incompatible; what is
// new but compatible only asks to be recorded in the snapshot.

export const POLICY = 'docs/contracts.md';

type Schema = Record<string, unknown>;

export interface TypeSnapshot {
  /** Paths of required fields (`a`, `a.b`, `list[].c`). */
  required: string[];
  /** Path of every field to its signature (type, format, enum, alternatives). */
  fields: Record<string, string>;
}

export type ContractSnapshot = Record<string, TypeSnapshot>;

/** A field's type as a consumer sees it; nested object fields get their own paths. */
function signature(schema: Schema): string {
  const alternatives = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alternatives) return `oneOf(${alternatives.map(signature).join(' | ')})`;
  if (Array.isArray(schema.enum)) return `enum(${[...schema.enum].map(String).sort().join(',')})`;
  if ('const' in schema) return `const(${JSON.stringify(schema.const)})`;
  const type = Array.isArray(schema.type) ? schema.type.join('|') : String(schema.type ?? 'any');
  if (type === 'array') return `array<${schema.items ? signature(schema.items as Schema) : 'any'}>`;
  return schema.format ? `${type}(${schema.format})` : type;
}

function walk(schema: Schema, prefix: string, into: TypeSnapshot): void {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  for (const name of (schema.required ?? []) as string[]) into.required.push(prefix + name);
  for (const [name, field] of Object.entries(properties)) {
    into.fields[prefix + name] = signature(field);
    if (field.properties) walk(field, `${prefix}${name}.`, into);
    const items = field.items as Schema | undefined;
    if (items?.properties) walk(items, `${prefix}${name}[].`, into);
  }
}

export function snapshotOf(schemas: Schema[]): ContractSnapshot {
  const snapshot: ContractSnapshot = {};
  for (const schema of [...schemas].sort((a, b) => String(a['x-event-type']).localeCompare(String(b['x-event-type'])))) {
    const entry: TypeSnapshot = { required: [], fields: {} };
    walk(schema, '', entry);
    entry.required.sort();
    snapshot[String(schema['x-event-type'])] = entry;
  }
  return snapshot;
}

const parentOf = (path: string) => path.replace(/(\[\])?\.[^.]+$|^[^.]+$/, '');

/** Incompatible changes from `before` to `now`, each a sentence naming the type and field. */
export function incompatibleChanges(before: ContractSnapshot, now: ContractSnapshot): string[] {
  const problems: string[] = [];
  for (const [type, was] of Object.entries(before)) {
    const is = now[type];
    if (!is) {
      problems.push(`${type} was removed: an event type stays on its topic for as long as the topic lives; stop producing it, keep its schema`);
      continue;
    }
    for (const [path, sig] of Object.entries(was.fields)) {
      if (!(path in is.fields)) problems.push(`${type}: field ${path} was removed (or renamed)`);
      else if (is.fields[path] !== sig) problems.push(`${type}: field ${path} changed from ${sig} to ${is.fields[path]}`);
    }
    for (const path of was.required) if (!is.required.includes(path)) problems.push(`${type}: field ${path} is no longer required; consumers rely on it being there`);
    for (const path of is.required) {
      const parent = parentOf(path);
      const parentExisted = parent === '' || parent.replace(/\[\]$/, '') in was.fields;
      if (!was.required.includes(path) && parentExisted) problems.push(`${type}: field ${path} became required; events already on the topic do not have it (add it as optional)`);
    }
  }
  return problems;
}

/** Compatible additions the snapshot does not record yet. */
export function unrecorded(before: ContractSnapshot, now: ContractSnapshot): string[] {
  const missing: string[] = [];
  for (const [type, is] of Object.entries(now)) {
    const was = before[type];
    if (!was) {
      missing.push(`${type} (new event type)`);
      continue;
    }
    for (const path of Object.keys(is.fields)) if (!(path in was.fields)) missing.push(`${type}: ${path}`);
  }
  return missing;
}
