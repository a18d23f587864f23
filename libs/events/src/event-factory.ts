// Builds validated events for one service: the envelope fields are filled the same way
// everywhere and an event that breaks its schema (or carries a CPR number) is refused
// before it can be stored for publishing (and checked again there: assertPublishable).
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
    return event;
  }
}
