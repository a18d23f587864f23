// The CloudEvents 1.0 envelope every Spor event travels in (structured JSON mode).

export interface SporEvent<TData extends object = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  /** The Kafka key when it is not the subject (CloudEvents partitioning extension). */
  partitionkey?: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema?: string;
  municipalityid: string;
  aggregateversion: number;
  data: TData;
}

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

/** Kafka header names; the correlation id travels beside the event, not inside it. */
export const HEADERS = {
  contentType: 'content-type',
  correlationId: 'correlation-id',
  dlqReason: 'dlq-reason',
  dlqError: 'dlq-error',
  dlqOriginalTopic: 'dlq-original-topic',
  dlqOriginalPartition: 'dlq-original-partition',
  dlqOriginalOffset: 'dlq-original-offset',
  dlqConsumerGroup: 'dlq-consumer-group',
  dlqFailedAt: 'dlq-failed-at',
  dlqAttempts: 'dlq-attempts',
} as const;
