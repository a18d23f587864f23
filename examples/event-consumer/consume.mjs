#!/usr/bin/env node
// An example consumer of Spor's events for other municipal systems: subscribes to one topic,
// validates each event against the published JSON Schemas (the CloudEvents envelope and the
// schema of the event's type), prints the valid ones as JSON lines on stdout and reports the
// invalid ones on stderr. Exits 1 when it saw an invalid event, 2 on a usage error.
// Plain JavaScript on purpose: copy this folder, `npm install`, run.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv and ajv-formats are CommonJS; their classes arrive as the default export or under it.
const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;

const here = dirname(fileURLToPath(import.meta.url));
// Inside the Spor repository the schemas are right there; elsewhere pass --schemas/--envelope.
const REPO_SCHEMAS = join(here, '..', '..', 'libs', 'contracts', 'events');
const REPO_ENVELOPE = join(here, '..', '..', 'libs', 'events', 'schemas', 'cloudevent.v1.schema.json');

const USAGE = `usage: node consume.mjs --topic <topic> [options]
  --topic <name>            the topic to read, for example spor.consent.consent.v1 (required)
  --brokers <list>          host:port,... (default: $KAFKA_BROKERS or 127.0.0.1:9092)
  --group <id>              consumer group (default: spor-example-consumer)
  --from-beginning          read the topic from its first event when the group is new
  --schemas <dir>           folder of <type>.schema.json files (default: the repository's)
  --envelope <file>         the CloudEvents envelope schema (default: the repository's)
  --allow-unknown-fields    accept fields newer than your copy of the schemas
  --max-events <n>          stop after n messages (default: run until Ctrl-C)`;

function usage(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        topic: { type: 'string' },
        brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
        group: { type: 'string', default: 'spor-example-consumer' },
        'from-beginning': { type: 'boolean', default: false },
        schemas: { type: 'string', default: REPO_SCHEMAS },
        envelope: { type: 'string', default: REPO_ENVELOPE },
        'allow-unknown-fields': { type: 'boolean', default: false },
        'max-events': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    usage(error.message);
  }
  if (parsed.help) usage('');
  if (!parsed.topic) usage('--topic is required');
  const maxEvents = parsed['max-events'] === undefined ? Infinity : Number(parsed['max-events']);
  if (!(maxEvents > 0)) usage('--max-events must be a positive number');
  for (const path of [parsed.schemas, parsed.envelope]) if (!existsSync(path)) usage(`${path} does not exist`);
  return { ...parsed, maxEvents };
}

/** Lets a schema accept fields it does not list (a consumer's copy may be older than Spor's). */
function openUp(schema) {
  if (Array.isArray(schema)) return schema.map(openUp);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).filter(([k, v]) => !(k === 'additionalProperties' && v === false)).map(([k, v]) => [k, openUp(v)]));
}

/** A validator for the envelope and one per event type, from the schema files. */
function loadValidators({ schemas, envelope, allowUnknownFields }) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const read = (file) => {
    const schema = JSON.parse(readFileSync(file, 'utf8'));
    return allowUnknownFields ? openUp(schema) : schema;
  };
  const byType = new Map();
  for (const file of readdirSync(schemas).filter((f) => f.endsWith('.schema.json'))) {
    const schema = read(join(schemas, file));
    byType.set(schema['x-event-type'] ?? file.replace(/\.schema\.json$/, ''), ajv.compile(schema));
  }
  return { envelope: ajv.compile(read(envelope)), byType };
}

const problemsOf = (prefix, errors) => (errors ?? []).map((e) => `${prefix}${e.instancePath || ''} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`.trim());

/** 'valid', 'unknown-type' or a list of problems. */
function check(validators, value) {
  let event;
  try {
    event = JSON.parse(value);
  } catch {
    return { problems: ['the message value is not JSON'] };
  }
  if (!validators.envelope(event)) return { event, problems: problemsOf('', validators.envelope.errors) };
  const validateData = validators.byType.get(event.type);
  if (!validateData) return { event, unknownType: true };
  if (!validateData(event.data)) return { event, problems: problemsOf('data', validateData.errors) };
  return { event };
}

async function main() {
  const opts = options();
  const validators = loadValidators({ schemas: opts.schemas, envelope: opts.envelope, allowUnknownFields: opts['allow-unknown-fields'] });
  const kafka = new Kafka({ clientId: 'spor-example-consumer', brokers: opts.brokers.split(','), logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: opts.group });
  let seen = 0;
  let invalid = 0;
  let stopping;
  const stop = () =>
    (stopping ??= consumer.disconnect().finally(() => {
      process.stderr.write(`${seen} messages, ${invalid} invalid\n`);
      process.exit(invalid > 0 ? 1 : 0);
    }));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: opts['from-beginning'] });
  process.stderr.write(`reading ${opts.topic} as ${opts.group}, ${validators.byType.size} event types known\n`);
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (seen >= opts.maxEvents) return;
      seen++;
      const where = { topic, partition, offset: message.offset, key: message.key?.toString() ?? null };
      const { event, problems, unknownType } = check(validators, message.value?.toString() ?? '');
      if (problems) {
        invalid++;
        process.stderr.write(`${JSON.stringify({ invalid: true, ...where, id: event?.id, type: event?.type, problems })}\n`);
      } else if (unknownType) {
        // A new event type on a known topic is a compatible change: skip it, do not fail.
        process.stderr.write(`${JSON.stringify({ skipped: 'unknown event type', ...where, id: event.id, type: event.type })}\n`);
      } else {
        process.stdout.write(`${JSON.stringify({ ...where, event })}\n`);
      }
      // Disconnecting waits for this handler, so it must not be awaited here.
      if (seen >= opts.maxEvents) setImmediate(stop);
    },
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(2);
});
