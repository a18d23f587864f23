// What every Spor service starts the same way: its database (collections created before
// anything runs concurrently), the Kafka transport with its topics, the per-document locks and
// the outbox relay over the aggregate collections, readiness checks for both, and the stop
// steps in the right order. Services add their repositories, consumers and routes.
import type { Connection } from 'mongoose';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ReadinessCheck, ServiceRuntime } from '@spor/service-kit';
import { connectMongo, ensureCollections, pingMongo } from '@spor/mongo';
import { KafkajsTransport } from './kafkajs-transport.js';
import { KeyedMutex } from './keyed-mutex.js';
import { OutboxRelay } from './outbox-relay.js';
import { EventConsumer, type EventConsumerOptions } from './event-consumer.js';
import type { SchemaRegistry } from './schema-registry.js';

export interface BackboneOptions {
  service: string;
  mongoUrl: string;
  dbName: string;
  kafkaBrokers: string[];
  kafkaClientId?: string;
  runtime: ServiceRuntime;
  logger: Logger;
  metrics?: Registry;
  /** Collections whose documents carry pending events; the relay watches them. */
  aggregateCollections: string[];
  /** Other collections of the service (projections, audit, keys). */
  otherCollections?: string[];
  /** Topics the service publishes to; created when missing. */
  topics: string[];
  topicPartitions?: number;
}

export interface Backbone {
  connection: Connection;
  db: Db;
  transport: KafkajsTransport;
  locks: KeyedMutex;
  relay: OutboxRelay;
  readiness: ReadinessCheck[];
}

export async function startBackbone(options: BackboneOptions): Promise<Backbone> {
  const { runtime, logger } = options;
  const connection = await connectMongo({ url: options.mongoUrl, dbName: options.dbName, logger });
  runtime.onStop('database', () => connection.close());
  await ensureCollections(connection, [...options.aggregateCollections, ...(options.otherCollections ?? [])]);
  const db = connection.db!;
  for (const name of options.aggregateCollections) await db.collection(name).createIndex({ hasPending: 1 });

  const transport = new KafkajsTransport({ clientId: options.kafkaClientId ?? options.service, brokers: options.kafkaBrokers, logger });
  runtime.onStop('kafka', () => transport.close());
  await transport.ensureTopics(options.topics.map((topic) => ({ topic, partitions: options.topicPartitions ?? 3 })));

  const locks = new KeyedMutex();
  const relay = new OutboxRelay({ collections: options.aggregateCollections.map((name) => db.collection(name)), transport, logger, locks, metrics: options.metrics });
  relay.start();
  runtime.onStop('outbox relay', () => relay.stop());

  return {
    connection,
    db,
    transport,
    locks,
    relay,
    readiness: [
      { name: 'database', check: () => pingMongo(connection) },
      { name: 'kafka', check: () => transport.ping() },
    ],
  };
}

/**
 * Starts a consumer that keeps a service's projections of other services' topics: the topics
 * are created when missing (the producing service may start later), and the consumer stops
 * with the service.
 */
export async function startProjectionConsumer(
  backbone: Backbone,
  options: { groupId: string; topics: string[]; handlers: EventConsumerOptions['handlers']; registry: SchemaRegistry; runtime: ServiceRuntime; logger: Logger; metrics?: Registry; partitions?: number },
): Promise<EventConsumer> {
  await backbone.transport.ensureTopics(options.topics.map((topic) => ({ topic, partitions: options.partitions ?? 3 })));
  const consumer = new EventConsumer({ groupId: options.groupId, topics: options.topics, handlers: options.handlers, registry: options.registry, transport: backbone.transport, logger: options.logger, metrics: options.metrics });
  await consumer.start();
  options.runtime.onStop('consumer', () => consumer.stop());
  return consumer;
}
