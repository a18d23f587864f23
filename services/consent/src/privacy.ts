// consent's part in data protection (libs/privacy): which records it keeps about a child, how
// long after they stop being in use, and what a parent or the data-protection officer sees.
import type { Db } from 'mongodb';
import type { EventFactory, KeyedMutex } from '@spor/events';
import { aggregateCandidates, collectionsByChild, disposeAggregate, type ChildDataSource, type RetainedKind } from '@spor/privacy';
import { consentClockStart, type Consent } from './domain/consent.js';
import { CONSENT_REMOVED, EXPIRY_DAY_KEY } from './store/consent-repository.js';

const YEAR_DAYS = 365;

export function consentPrivacy(db: Db, deps: { locks: KeyedMutex; factory: EventFactory }): { kinds: RetainedKind[]; data: ChildDataSource } {
  const consents = db.collection<Consent & { _id: string; version: number }>('consents');

  // A consent is the evidence that a disclosure was lawful. It outlives what was disclosed under
  // it (a handover package is kept 3 years after the move, and the move happens while the consent
  // lives) and the limitation period for a claim about it; 5 years, as identity keeps the child's
  // entry. A municipality sets its own period through the retention API.
  const consent: RetainedKind = {
    kind: 'consent',
    description: 'consents asked for about the child and the parents’ answers (who, when, which text, at which NSIS level), counted from the day the consent ended: withdrawn, expired, or never given',
    defaultDays: 5 * YEAR_DAYS,
    publicRecord: false,
    candidates: (startedBy) => aggregateCandidates(consents, {}, startedBy, (c) => ({ childId: c.childId, retainedFrom: consentClockStart(c) })),
    async ofChild(childId) {
      return (await consents.find({ childId }, { projection: { grants: 1, history: 1 } }).toArray()).map((c) => ({ id: c._id, retainedFrom: consentClockStart(c) }));
    },
    // A parent may grant it again after the sweep chose it: then it stays. Only the consent archived
    // goes: one asked for again under the same id since (version 1 again, a later clock) was never
    // archived, and stays until its own period runs out.
    dispose: (id, retainedFrom, version) =>
      disposeAggregate(consents, id, { locks: deps.locks, what: `consent ${id}`, inUse: (c) => consentClockStart(c) === null, archived: { retainedFrom, version }, clockOf: consentClockStart }),
    // Every view of consents (transitions', action-plans') drops it, on the consent's own topic and key.
    async announce(candidate) {
      const c = await consents.findOne({ _id: candidate.id });
      if (!c) return [];
      return [deps.factory.create(CONSENT_REMOVED, { subject: c._id, partitionKey: c.childId, municipalityId: c.municipalityId, aggregateVersion: c.version + 1, data: { consentId: c._id, childId: c.childId } })];
    },
  };

  // Consents are the evidence of what parents agreed to: parents see every one about their child.
  const data = collectionsByChild(db, { consent: { collection: 'consents', childField: 'childId', parents: {}, hide: [EXPIRY_DAY_KEY, 'published'] } });
  return { kinds: [consent], data };
}
