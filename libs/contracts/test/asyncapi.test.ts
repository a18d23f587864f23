// The AsyncAPI document against the parser, the schema files, the events lib and the code.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';
import { CLOUDEVENTS_CONTENT_TYPE, ENVELOPE_SCHEMA_PATH, HEADERS, deadLetterTopic, topicOfType } from '@spor/events';
import { ASYNCAPI_PATH, EVENT_SCHEMA_DIR, asyncApiDocument, asyncApiSource } from '../src/index.js';
import { topicsInCode } from './code-topics.js';

// Topic names as production has them, without the test run's namespace (jest.config.mjs).
delete process.env.SPOR_TOPIC_NAMESPACE;

/* eslint-disable @typescript-eslint/no-explicit-any -- walking a parsed YAML document */
const source = asyncApiSource() as any;
const DEAD_LETTER = 'deadLetter';
const eventMessages = Object.entries<any>(source.components.messages).filter(([id]) => id !== DEAD_LETTER);
const eventChannels = Object.entries<any>(source.channels).filter(([id]) => id !== DEAD_LETTER);
const schemaFiles = readdirSync(EVENT_SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).sort();

/** The message's parts: envelope reference, the type it narrows to, its data schema file. */
function partsOf(message: any): { envelope: string; type: string; dataFile: string } {
  const [envelope, narrowed] = message.payload.schema.allOf;
  return { envelope: envelope.$ref, type: narrowed.properties.type.const, dataFile: resolve(dirname(ASYNCAPI_PATH), narrowed.properties.data.$ref) };
}

async function errorsOf(parse: Promise<{ diagnostics: { severity: number; code: string | number; message: string; path: (string | number)[] }[] }>) {
  const { diagnostics } = await parse;
  return diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('/')}: ${d.code} ${d.message}`);
}

describe('AsyncAPI document', () => {
  const parser = new Parser();

  test('the file parses and validates with @asyncapi/parser, its schema files resolved', async () => {
    expect(await errorsOf(fromFile(parser, ASYNCAPI_PATH).parse())).toEqual([]);
    const { document } = await fromFile(parser, ASYNCAPI_PATH).parse();
    expect(document?.version()).toBe('3.0.0');
    expect(document?.messages().length).toBe(eventMessages.length + 1);
  });

  test('the parser finds what is broken (a missing schema file is an error)', async () => {
    const broken = readFileSync(ASYNCAPI_PATH, 'utf8').replace(`./events/${schemaFiles[0]}`, './events/missing.schema.json');
    const errors = await errorsOf(parser.parse(broken, { source: ASYNCAPI_PATH }));
    expect(errors.join('\n')).toMatch(/missing\.schema\.json/);
  });

  test('the served form, schemas inlined, validates too and has no file reference left', async () => {
    const inlined = asyncApiDocument();
    const text = JSON.stringify(inlined);
    expect(text.match(/"\$ref":"(?!#)[^"]*"/g)).toBeNull();
    expect(await errorsOf(parser.parse(text))).toEqual([]);
    const granted = (inlined as any).components.messages['dk.spor.consent.consent.granted.v1'].payload.schema.allOf[1].properties.data;
    expect(granted).toEqual(JSON.parse(readFileSync(`${EVENT_SCHEMA_DIR}/dk.spor.consent.consent.granted.v1.schema.json`, 'utf8')));
    expect((inlined as any).components.schemas.CloudEvent).toEqual(JSON.parse(readFileSync(ENVELOPE_SCHEMA_PATH, 'utf8')));
  });

  test('every schema file in events/ is the data of exactly one message', () => {
    const referenced = eventMessages.map(([, m]) => basename(partsOf(m).dataFile)).sort();
    expect(referenced).toEqual(schemaFiles);
  });

  test.each(eventMessages)('message %s: its schema file exists and declares its type; it travels in the envelope on its type’s topic', (id, message) => {
    const { envelope, type, dataFile } = partsOf(message);
    expect(existsSync(dataFile)).toBe(true);
    expect(JSON.parse(readFileSync(dataFile, 'utf8'))['x-event-type']).toBe(id);
    expect({ name: message.name, type }).toEqual({ name: id, type: id });
    expect(envelope).toBe('#/components/schemas/CloudEvent');
    expect(message.headers.$ref).toBe('#/components/schemas/EventHeaders');
    const channel = source.channels[topicOfType(id)];
    expect(channel?.address).toBe(topicOfType(id));
    expect(channel.messages[id].$ref).toBe(`#/components/messages/${id}`);
  });

  test('every topic the code names is a channel, and every event channel is a topic the code names', () => {
    const inCode = topicsInCode();
    // Guards the scan itself: the services publish on ten topics today.
    expect(inCode.size).toBeGreaterThanOrEqual(10);
    const channels = eventChannels.map(([, c]) => c.address as string);
    const missing = [...inCode.keys()].filter((t) => !channels.includes(t)).map((t) => `${t} (named in ${inCode.get(t)!.join(', ')})`);
    expect(missing).toEqual([]);
    expect(channels.filter((t) => !inCode.has(t))).toEqual([]);
    for (const [id, channel] of eventChannels) expect(id).toBe(channel.address);
  });

  test('each event channel has an operation that sends all its messages', () => {
    for (const [id, channel] of eventChannels) {
      const operations = Object.values<any>(source.operations).filter((o) => o.channel.$ref === `#/channels/${id}`);
      expect(operations.map((o) => o.action)).toEqual(['send']);
      expect(operations[0].messages.map((m: any) => m.$ref).sort()).toEqual(Object.keys(channel.messages).map((m) => `#/channels/${id}/messages/${m}`).sort());
    }
  });

  test('the envelope, headers and dead-letter topics are those of the events lib', () => {
    expect(source.components.schemas.CloudEvent.$ref).toBe('../events/schemas/cloudevent.v1.schema.json');
    expect(resolve(dirname(ASYNCAPI_PATH), source.components.schemas.CloudEvent.$ref)).toBe(ENVELOPE_SCHEMA_PATH);
    expect(source.defaultContentType).toBe(CLOUDEVENTS_CONTENT_TYPE);
    const headers = source.components.schemas.EventHeaders;
    expect(Object.keys(headers.properties).sort()).toEqual([HEADERS.contentType, HEADERS.correlationId].sort());
    expect(headers.properties[HEADERS.contentType].const).toBe(CLOUDEVENTS_CONTENT_TYPE);
    const dlqHeaders = Object.values(HEADERS).filter((h) => h.startsWith('dlq-'));
    expect(source.components.schemas.DeadLetterHeaders.required.sort()).toEqual(dlqHeaders.sort());
    expect(source.channels[DEAD_LETTER].address).toBe(deadLetterTopic('TOPIC', 'GROUP').replace('TOPIC', '{topic}').replace('GROUP', '{consumerGroup}'));
  });

  test('the schemas use only keywords JSON Schema draft-07 (what the payloads declare) and 2020-12 (what ajv reads) share', () => {
    const shared = new Set(['$schema', '$id', '$ref', '$comment', 'title', 'description', 'examples', 'default', 'type', 'enum', 'const', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'uniqueItems', 'oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', 'x-event-type']);
    const used = new Set<string>();
    const walk = (schema: any): void => {
      for (const [key, value] of Object.entries<any>(schema)) {
        used.add(Array.isArray(value) && key === 'items' ? 'items (tuple)' : key);
        if (key === 'properties') Object.values(value).forEach(walk);
        else if (['items', 'additionalProperties', 'not', 'if', 'then', 'else'].includes(key) && value && typeof value === 'object' && !Array.isArray(value)) walk(value);
        else if (['oneOf', 'anyOf', 'allOf'].includes(key)) value.forEach(walk);
      }
    };
    for (const file of schemaFiles) walk(JSON.parse(readFileSync(`${EVENT_SCHEMA_DIR}/${file}`, 'utf8')));
    walk(JSON.parse(readFileSync(ENVELOPE_SCHEMA_PATH, 'utf8')));
    expect([...used].filter((k) => !shared.has(k))).toEqual([]);
  });

  test('the Kafka server takes its brokers from a variable', () => {
    expect(source.servers.kafka).toMatchObject({ protocol: 'kafka', host: '{brokers}', variables: { brokers: { default: expect.any(String) } } });
  });
});
