// The audit entry as it leaves the service: dk.spor.audit.access.recorded.v1 on
// spor.audit.access.v1, ids and codes only, so the log can be kept by someone other than the
// service it watches. It is made from the stored entry whenever the entry is shipped
// (shipper.ts), with an id taken from the entry's id and hash: an entry shipped again after a
// crash is the same event, which a keeper of the stream passes over as a duplicate.
import { topicFor, type SchemaRegistry, type SporEvent } from '@spor/events';
import { hashedUuid } from '@spor/service-kit';
import type { AuditEntry } from './entry.js';

export const AUDIT_EVENT_TYPE = 'dk.spor.audit.access.recorded.v1';
// Named like every other topic, so a benchmark's namespace (SPOR_TOPIC_NAMESPACE) covers the
// topic its events are published to (topicOfType) as well as the one ensured at start.
export const AUDIT_TOPIC = topicFor('audit', 'access');

const PURPOSE_CODE = /^[a-z][a-z0-9-]{1,60}$/;
/** A service acting for no one municipality (its token carries none) ships under this code. */
const NO_MUNICIPALITY = '000';

/** A UUID (version 8, RFC 9562's custom kind) made from the entry's id and hash: the same entry, the same event id. */
export function eventIdOf(entry: Pick<AuditEntry, '_id' | 'hash'>): string {
  return hashedUuid(`${entry._id}\n${entry.hash}`);
}

export function accessEvent(entry: AuditEntry, registry: SchemaRegistry): SporEvent {
  const data: Record<string, unknown> = {
    entryId: entry._id,
    service: entry.service,
    chain: entry.chain,
    seq: entry.seq,
    prevHash: entry.prevHash,
    hash: entry.hash,
    at: entry.at.toISOString(),
    action: entry.action,
    operation: entry.operation,
    actorId: entry.actor,
    actorKind: entry.actorKind,
    roles: entry.roles.map((r) => {
      const at = r.lastIndexOf('@');
      return { role: r.slice(0, at), unitId: r.slice(at + 1) };
    }),
    recordType: entry.recordType,
    ...(entry.recordId ? { recordId: entry.recordId } : {}),
    ...(entry.childId ? { childId: entry.childId } : {}),
    ...(entry.institutionId ? { institutionId: entry.institutionId } : {}),
    ...(entry.criterion ? { criterion: entry.criterion } : {}),
    ...(entry.purpose && PURPOSE_CODE.test(entry.purpose) ? { purpose: entry.purpose } : {}),
    ...(entry.purpose && !PURPOSE_CODE.test(entry.purpose) ? { purposeRecorded: true } : {}),
  };
  const event: SporEvent = {
    specversion: '1.0',
    id: eventIdOf(entry),
    source: `spor/${entry.service}`,
    type: AUDIT_EVENT_TYPE,
    subject: entry.childId ?? entry._id,
    // One chain on one partition, in order: a keeper of the stream can verify it as it reads.
    partitionkey: entry.chain,
    time: entry.at.toISOString(),
    datacontenttype: 'application/json',
    municipalityid: /^[0-9]{3}$/.test(entry.municipalityId) ? entry.municipalityId : NO_MUNICIPALITY,
    aggregateversion: entry.seq,
    data,
  };
  registry.assertValid(event);
  return event;
}
