// Topic and event-type names are a contract with other municipal systems:
//   topic  spor.<service>.<aggregate>.v<major>
//   type   dk.spor.<service>.<aggregate>.<past-tense verb>.v<major>
//   DLQ    <topic>.dlq.<consumer group>

const SEGMENT = /^[a-z][a-z0-9-]*$/;

export interface EventName {
  service: string;
  aggregate: string;
  verb: string;
  major?: number;
}

function checkSegment(kind: string, value: string): void {
  if (!SEGMENT.test(value)) throw new Error(`${kind} "${value}" must be lower-case kebab-case`);
}

/**
 * `SPOR_TOPIC_NAMESPACE` (unset in production) puts every topic of the process under a prefix,
 * `<namespace>.spor.<service>.<aggregate>.v<major>`, so a benchmark's thousands of events stay
 * off the topics that every test on a shared broker replays. Read when a name is made.
 */
function namespace(): string {
  const value = process.env.SPOR_TOPIC_NAMESPACE;
  if (!value) return '';
  checkSegment('SPOR_TOPIC_NAMESPACE', value);
  return `${value}.`;
}

export function topicFor(service: string, aggregate: string, major = 1): string {
  checkSegment('service', service);
  checkSegment('aggregate', aggregate);
  return `${namespace()}spor.${service}.${aggregate}.v${major}`;
}

export function eventTypeFor({ service, aggregate, verb, major = 1 }: EventName): string {
  checkSegment('verb', verb);
  return `dk.spor.${service}.${aggregate}.${verb}.v${major}`;
}

const TYPE = /^dk\.spor\.([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)\.v([1-9][0-9]*)$/;

export function parseEventType(type: string): Required<EventName> {
  const match = TYPE.exec(type);
  if (!match) throw new Error(`"${type}" is not a Spor event type (dk.spor.<service>.<aggregate>.<verb>.v<n>)`);
  const [, service, aggregate, verb, major] = match as unknown as [string, string, string, string, string];
  return { service, aggregate, verb, major: Number(major) };
}

/** The topic an event type is published on. */
export function topicOfType(type: string): string {
  const { service, aggregate, major } = parseEventType(type);
  return topicFor(service, aggregate, major);
}

export function deadLetterTopic(topic: string, consumerGroup: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(consumerGroup)) throw new Error(`consumer group "${consumerGroup}" is not usable in a topic name`);
  return `${topic}.dlq.${consumerGroup}`;
}
