// A service's own view of consents, kept from consent's events, for acting on them without a
// call: "is there a valid consent for this child, purpose and scope now?". Each event says
// whether the consent was valid after it and until when; consent's check API stays the
// authority for a custody change that happened since (see services/consent/README.md).
import type { Collection, Db } from 'mongodb';
import { applyVersioned } from '@spor/mongo';
import { topicFor, type EventHandler, type SporEvent } from '@spor/events';

export interface SeenConsent {
  _id: string;
  version: number;
  childId: string;
  purposeId: string;
  purposeVersion: number;
  scope: Record<string, string>;
  valid: boolean;
  validUntil: string | null;
  /** What the last event was: requested, granted, withdrawn, expired, or reevaluated (the custody holders changed). */
  lastChange: string;
}

interface ConsentEventData {
  consentId: string;
  childId: string;
  purposeId: string;
  purposeVersion: number;
  scope: Record<string, string>;
  valid: boolean;
  validUntil?: string;
}

const CONSENT_EVENT = /^dk\.spor\.consent\.consent\.(requested|granted|withdrawn|expired|reevaluated)\.v1$/;
const TYPES = ['requested', 'granted', 'withdrawn', 'expired', 'reevaluated'].map((verb) => `dk.spor.consent.consent.${verb}.v1`);
const REMOVED = 'dk.spor.consent.consent.removed.v1';

export class ConsentView {
  static collections = ['seen_consents'];
  private readonly consents: Collection<SeenConsent>;

  /** `onChange` runs after each applied event, for a service that must act at once when a consent stops being valid. */
  constructor(
    db: Db,
    private readonly onChange?: (consent: SeenConsent) => Promise<void>,
  ) {
    this.consents = db.collection('seen_consents');
  }

  async init(): Promise<void> {
    await this.consents.createIndex({ childId: 1, purposeId: 1 });
  }

  topics(): string[] {
    return [topicFor('consent', 'consent')];
  }

  handlers(): Record<string, EventHandler> {
    const apply: EventHandler = async (event: SporEvent<ConsentEventData>) => {
      const change = CONSENT_EVENT.exec(event.type)?.[1];
      if (!change) return;
      const data = event.data;
      const seen = { childId: data.childId, purposeId: data.purposeId, purposeVersion: data.purposeVersion, scope: data.scope, valid: data.valid, validUntil: data.validUntil ?? null, lastChange: change };
      await applyVersioned(this.consents, data.consentId, event.aggregateversion, { $set: seen });
      // onChange sees the consent as it is now (a redelivered old event must not act on old
      // news), and runs on redelivery too, so a crash between applying and acting is made good.
      const current = this.onChange ? await this.consents.findOne({ _id: data.consentId }) : null;
      if (current) await this.onChange!(current);
    };
    // A consent whose retention ran out leaves the view. Deleted, not marked: a consent's id
    // comes from its child, purpose and scope, so one asked for again later starts over at
    // version 1 and must not find a newer version here. One topic keyed by the child keeps the
    // removal after the consent's earlier events, on a replay too. (Asked again within the same
    // relay round as the disposal, the new request may come first and be dropped with it: the
    // view then lacks a consent until its next event, which refuses, never allows.)
    const remove: EventHandler = async (event: SporEvent<{ consentId: string }>) => {
      await this.consents.deleteOne({ _id: event.data.consentId });
    };
    return { ...Object.fromEntries(TYPES.map((type) => [type, apply])), [REMOVED]: remove };
  }

  get(consentId: string): Promise<SeenConsent | null> {
    return this.consents.findOne({ _id: consentId });
  }

  /** The consent for child, purpose and exactly this scope, if it is valid at `now`. */
  async validConsent(childId: string, purposeId: string, scope: Record<string, string>, now: Date): Promise<SeenConsent | null> {
    const candidates = await this.consents.find({ childId, purposeId, valid: true }).toArray();
    const wanted = JSON.stringify(Object.entries(scope).sort());
    return candidates.find((c) => JSON.stringify(Object.entries(c.scope).sort()) === wanted && (c.validUntil === null || c.validUntil > now.toISOString())) ?? null;
  }
}
