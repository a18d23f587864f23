// The small interface between Spor and its Kafka client. kafkajs is no longer maintained;
// everything kafkajs-specific lives in kafkajs-transport.ts so another client (for example
// @confluentinc/kafka-javascript's KafkaJS-compatible API) can replace it in one place.

export interface OutboundMessage {
  topic: string;
  key: string;
  value: string | Buffer;
  headers: Record<string, string>;
}

export interface InboundMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Retention in milliseconds; -1 keeps forever (the default for event topics: they rebuild projections). */
  retentionMs?: number;
}

export interface PartitionOffsets {
  partition: number;
  /** First offset still in the log. */
  low: string;
  /** Offset the next message will get. */
  high: string;
}

export interface ConsumeOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  /** Called for each message in order per partition; a rejection stops the batch uncommitted. */
  onMessage: (message: InboundMessage, heartbeat: () => Promise<void>) => Promise<void>;
  partitionsConsumedConcurrently?: number;
}

export interface Subscription {
  /** Finishes the message in hand, commits what was processed, leaves the group. */
  stop(): Promise<void>;
}

export interface EventTransport {
  /** Sends in order per key; resolves when every message is acknowledged by all in-sync replicas. */
  send(messages: OutboundMessage[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<Subscription>;
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  deleteConsumerGroup(groupId: string): Promise<void>;
  /** Readiness: the cluster answers now. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
