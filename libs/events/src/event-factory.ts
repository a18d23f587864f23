// Builds validated events for one service: the envelope fields are filled the same way
// everywhere and an event that breaks its schema (or carries a CPR number) is refused
// before it can be stored for publishing. The outbox checks every event again as it is
// written (assertPublishable, called by toPending), so an event built by hand or changed
// after create() never reaches Kafka either.
import { randomUUID } from 'node:crypto';
import type { SporEvent } from './envelope.js';
import { parseEventType } from './naming.js';
import type { SchemaRegistry } from './schema-registry.js';

export interface NewEvent<TData extends object> {
  subject: string;
  municipalityId: string;
  aggregateVersion: number;
  data: TData;
  time?: Date;
  /** Orders this aggregate's events together with others' sharing the key (default: the subject). */
  partitionKey?: string;
}

/** Which registry validated each event a factory made; the outbox validates against it again. */
const issuedBy = new WeakMap<object, SchemaRegistry>();

export class EventFactory {
  constructor(
    private readonly service: string,
    private readonly registry: SchemaRegistry,
  ) {}

  create<TData extends object>(type: string, input: NewEvent<TData>): SporEvent<TData> {
    const { service } = parseEventType(type);
    if (service !== this.service) throw new Error(`${this.service} cannot publish ${type}: it belongs to ${service}`);
    const event: SporEvent<TData> = {
      specversion: '1.0',
      id: randomUUID(),
      source: `spor/${this.service}`,
      type,
      subject: input.subject,
      ...(input.partitionKey ? { partitionkey: input.partitionKey } : {}),
      time: (input.time ?? new Date()).toISOString(),
      datacontenttype: 'application/json',
      municipalityid: input.municipalityId,
      aggregateversion: input.aggregateVersion,
      // A JSON round trip makes the stored event exactly what consumers will parse.
      data: JSON.parse(JSON.stringify(input.data)) as TData,
    };
    this.registry.assertValid(event);
    issuedBy.set(event, this.registry);
    return event;
  }
}

/**
 * The last check before an event is written for publishing: it must have been made by an
 * EventFactory and must still be valid against that factory's registry (someone may have
 * changed it since). A failure is a programming error: it throws, and the write with it.
 */
export function assertPublishable(event: SporEvent): void {
  const issuer = issuedBy.get(event);
  if (!issuer) throw new Error(`event ${event?.type} ${event?.id} was not made by an EventFactory; only validated events may be published`);
  const registry: SchemaRegistry = issuer; // an assertion call needs an explicitly typed target
  registry.assertValid(event);
}
