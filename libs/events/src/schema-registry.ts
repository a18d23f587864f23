// One JSON Schema per event type. Producers validate before an event is stored for
// publishing (EventFactory.create, or assertValid for an event built elsewhere), and the
// outbox validates again as it stores it (assertPublishable); consumers validate on receipt.
// The envelope is checked by its own schema.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { findCpr } from '@spor/service-kit';
import type { SporEvent } from './envelope.js';

// ajv-formats is CommonJS; its default export arrives wrapped or bare depending on the loader.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as (ajv: Ajv2020) => void;

const here = dirname(fileURLToPath(import.meta.url));
/** The directory of the envelope schema (`schemas/` beside `src/` and `dist/`). */
export const ENVELOPE_SCHEMA_PATH = join(here, '..', 'schemas', 'cloudevent.v1.schema.json');

export interface EventSchemaProblem {
  path: string;
  message: string;
}

export class EventValidationError extends Error {
  constructor(
    readonly type: string,
    readonly problems: EventSchemaProblem[],
  ) {
    super(`event ${type} is not valid: ${problems.map((p) => `${p.path || '(root)'} ${p.message}`).join('; ')}`);
    this.name = 'EventValidationError';
  }
}

function toProblems(prefix: string, errors: ErrorObject[] | null | undefined): EventSchemaProblem[] {
  return (errors ?? []).map((e) => ({
    path: `${prefix}${e.instancePath.replace(/\//g, '.')}`.replace(/^\./, ''),
    message: e.keyword === 'additionalProperties' ? `has unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"` : (e.message ?? e.keyword),
  }));
}

/** The registry each event was last found valid by, so the outbox can check it again there. */
const validatedBy = new WeakMap<object, SchemaRegistry>();

export class SchemaRegistry {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true });
  private readonly envelope: ValidateFunction;
  private readonly byType = new Map<string, ValidateFunction>();

  constructor() {
    addFormats(this.ajv);
    this.ajv.addKeyword('x-event-type');
    this.envelope = this.ajv.compile(JSON.parse(readFileSync(ENVELOPE_SCHEMA_PATH, 'utf8')));
  }

  /** Registers the data schema of one event type; the schema's `x-event-type` names it. */
  register(schema: Record<string, unknown>): string {
    const type = schema['x-event-type'];
    if (typeof type !== 'string') throw new Error('an event schema must name its type in "x-event-type"');
    if (this.byType.has(type)) throw new Error(`a schema for ${type} is registered twice`);
    this.byType.set(type, this.ajv.compile(schema));
    return type;
  }

  /** Registers every `*.schema.json` in a directory. */
  registerDirectory(directory: string): string[] {
    return readdirSync(directory)
      .filter((f) => f.endsWith('.schema.json'))
      .sort()
      .map((f) => this.register(JSON.parse(readFileSync(join(directory, f), 'utf8'))));
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  /** Problems with the envelope alone (any type, known or not). */
  checkEnvelope(event: unknown): EventSchemaProblem[] {
    return this.envelope(event) ? [] : toProblems('', this.envelope.errors);
  }

  /** Problems with an event, or an empty list when it is valid. */
  check(event: unknown): EventSchemaProblem[] {
    if (!this.envelope(event)) return toProblems('', this.envelope.errors);
    const e = event as SporEvent;
    const validateData = this.byType.get(e.type);
    if (!validateData) return [{ path: 'type', message: `has no registered schema: ${e.type}` }];
    if (!validateData(e.data)) return toProblems('data', validateData.errors);
    // Defence in depth for data minimisation: a schema may allow a free string somewhere.
    const cprAt = findCpr(e.data) ?? findCpr(e.subject);
    if (cprAt) return [{ path: `data.${cprAt}`, message: 'looks like a CPR number; events must never carry CPR' }];
    return [];
  }

  assertValid(event: unknown): asserts event is SporEvent {
    const problems = this.check(event);
    if (problems.length > 0) throw new EventValidationError((event as { type?: string })?.type ?? '(unknown)', problems);
    validatedBy.set(event as object, this);
  }
}

/**
 * The last check before an event is written for publishing (toPending calls it): the event must
 * have been validated by a registry (EventFactory.create does that) and must still be valid
 * there, since it may have been changed since. A failure is a programming error: it throws, and
 * the write fails with it.
 */
export function assertPublishable(event: SporEvent): void {
  const found = validatedBy.get(event);
  if (found === undefined) {
    throw new Error(`event ${event?.type} ${event?.id} was never validated against its schema (EventFactory.create or SchemaRegistry.assertValid); it may not be published`);
  }
  const registry: SchemaRegistry = found; // an assertion call needs an explicitly typed target
  registry.assertValid(event);
}
