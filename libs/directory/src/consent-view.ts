// A service's own view of consents, kept from consent's events, for acting on them without a
// call: "is there a valid consent for this child, purpose and scope now?", or "on that day?"
// for a meeting recorded after it was held. Each event says whether the consent was valid
// after it and until when, and the view keeps that history; consent's check API stays the
// authority for a custody change that happened since (see services/consent/README.md).
import type { Collection, Db, Document, UpdateFilter } from 'mongodb';
import { applyVersioned } from '@spor/mongo';
import { topicFor, type EventHandler, type SporEvent } from '@spor/events';
import { danishDay } from './access.js';

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
  /**
   * Each applied change, oldest first: from `at` (the event's time) the consent was `valid`
   * (until `validUntil` at the latest). Absent on entries stored before it was kept.
   */
  history?: ConsentState[];
}

export interface ConsentState {
  at: string;
  valid: boolean;
  validUntil: string | null;
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
      // The history is what answers "was it valid on that day?" for a meeting recorded after
      // it was held (R11, R12). Pushed under the same version check, so a redelivery adds nothing.
      const state: ConsentState = { at: event.time, valid: seen.valid, validUntil: seen.validUntil };
      const update: UpdateFilter<SeenConsent> = { $set: seen, $push: { history: state } };
      await applyVersioned(this.consents, data.consentId, event.aggregateversion, update as UpdateFilter<Document>);
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
    return candidates.find((c) => sameScope(c, scope) && validAt(c, now)) ?? null;
  }

  /**
   * The consent for child, purpose and exactly this scope that covers the Danish day `day`: for
   * a day gone by, one that was valid at some time that day; for today or a day ahead, one valid
   * now that does not run out before that day. (A meeting is recorded by its day, not its hour,
   * and today's may come after a withdrawal this morning: so today asks for a consent valid now.)
   */
  async validConsentOn(childId: string, purposeId: string, scope: Record<string, string>, day: string, now: Date): Promise<SeenConsent | null> {
    if (day >= danishDay(now)) {
      const current = await this.validConsent(childId, purposeId, scope, now);
      return current && (current.validUntil === null || lastDayOf(current.validUntil) >= day) ? current : null;
    }
    const candidates = await this.consents.find({ childId, purposeId }).toArray();
    return candidates.find((c) => sameScope(c, scope) && validPeriods(c, now).some((p) => danishDay(p.from) <= day && lastDayOf(p.to.toISOString()) >= day)) ?? null;
  }
}

function sameScope(consent: SeenConsent, scope: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(consent.scope).sort()) === JSON.stringify(Object.entries(scope).sort());
}

function validAt(consent: Pick<SeenConsent, 'valid' | 'validUntil'>, now: Date): boolean {
  return consent.valid && (consent.validUntil === null || consent.validUntil > now.toISOString());
}

/** The last Danish day an instant still covers, the instant itself being the first moment not covered. */
function lastDayOf(until: string): string {
  return danishDay(new Date(Date.parse(until) - 1));
}

/**
 * The periods, up to `now`, in which the consent was valid. An entry stored before the history
 * was kept counts its present state as its whole past: as the check was before it.
 */
function validPeriods(consent: SeenConsent, now: Date): { from: Date; to: Date }[] {
  const states = consent.history ?? [{ at: new Date(0).toISOString(), valid: consent.valid, validUntil: consent.validUntil }];
  return states.flatMap((state, i) => {
    if (!state.valid) return [];
    const from = new Date(state.at);
    const ends = [states[i + 1] ? Date.parse(states[i + 1]!.at) : now.getTime(), state.validUntil ? Date.parse(state.validUntil) : Infinity];
    const to = new Date(Math.min(...ends));
    return to > from ? [{ from, to }] : [];
  });
}
