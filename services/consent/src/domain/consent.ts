// One consent: a request by staff for one child, one purpose version and one scope, and each
// custody holder's answer to it. Pure rules; the store persists what these return, and the
// evidence (who, when, which text version, at which NSIS level) is the history, which only grows.
import { hashedUuid } from '@spor/service-kit';
import type { PurposeVersion, Scope } from './purposes.js';

export type ConsentAction = 'requested' | 'granted' | 'withdrawn' | 'expired' | 'reevaluated';

export interface Evidence {
  at: string;
  action: ConsentAction;
  /** The person who acted (staff for a request, a parent for a grant or withdrawal); absent for expiry. */
  by?: string;
  /** The parent the entry concerns. */
  parentId?: string;
  purposeVersion: number;
  /** The NSIS level the parent was logged in at. */
  acr?: string;
}

export interface Grant {
  grantedAt: string;
  expiresAt: string;
  purposeVersion: number;
  acr: string;
}

export interface Consent {
  municipalityId: string;
  childId: string;
  purposeId: string;
  purposeVersion: number;
  requiresAllCustodyHolders: boolean;
  validityDays: number;
  scope: Scope;
  /** Live grants by parent id; a withdrawn or expired grant leaves this map and stays in the history. */
  grants: Record<string, Grant>;
  history: Evidence[];
  /** Earliest expiry among the live grants, for the expiry sweep. */
  nextExpiry: string | null;
  /** Whether the last event said the consent is valid, and until when (absent on consents stored before it was kept). */
  published?: { valid: boolean; validUntil: string | null; at: string; holders?: string[] };
}

/** One consent per child, purpose and scope: asking again finds the same one. */
export function consentIdOf(childId: string, purposeId: string, scope: Scope): string {
  const canonical = JSON.stringify([childId, purposeId, Object.entries(scope).sort(([a], [b]) => a.localeCompare(b))]);
  return hashedUuid(canonical);
}

const nextExpiryOf = (grants: Record<string, Grant>) => Object.values(grants).map((g) => g.expiresAt).sort()[0] ?? null;

export function requestConsent(input: { municipalityId: string; childId: string; scope: Scope; requestedBy: string }, purpose: PurposeVersion, now: Date): Consent {
  return {
    municipalityId: input.municipalityId,
    childId: input.childId,
    purposeId: purpose.purposeId,
    purposeVersion: purpose.version,
    requiresAllCustodyHolders: purpose.requiresAllCustodyHolders,
    validityDays: purpose.validityDays,
    scope: input.scope,
    grants: {},
    history: [{ at: now.toISOString(), action: 'requested', by: input.requestedBy, purposeVersion: purpose.version }],
    nextExpiry: null,
  };
}

/** A parent's grant, lasting the purpose's validity from now; an unexpired grant already given is answered as is (null: nothing changes). */
export function grantConsent(consent: Consent, parentId: string, acr: string, now: Date): Consent | null {
  const live = consent.grants[parentId];
  if (live && live.expiresAt > now.toISOString()) return null;
  const expiresAt = new Date(now.getTime() + consent.validityDays * 86_400_000).toISOString();
  const grants = { ...consent.grants, [parentId]: { grantedAt: now.toISOString(), expiresAt, purposeVersion: consent.purposeVersion, acr } };
  return {
    ...consent,
    grants,
    nextExpiry: nextExpiryOf(grants),
    history: [...consent.history, { at: now.toISOString(), action: 'granted', by: parentId, parentId, purposeVersion: consent.purposeVersion, acr }],
  };
}

/** A withdrawal takes effect at once; withdrawing what is not granted changes nothing (null). */
export function withdrawConsent(consent: Consent, parentId: string, acr: string, now: Date): Consent | null {
  if (!consent.grants[parentId]) return null;
  const { [parentId]: _withdrawn, ...grants } = consent.grants;
  return {
    ...consent,
    grants,
    nextExpiry: nextExpiryOf(grants),
    history: [...consent.history, { at: now.toISOString(), action: 'withdrawn', by: parentId, parentId, purposeVersion: consent.purposeVersion, acr }],
  };
}

/** Drops the grants that have run out by `now`; answers the parents whose grant expired. */
export function expireGrants(consent: Consent, now: Date): { consent: Consent; expired: string[] } {
  const at = now.toISOString();
  const expired = Object.entries(consent.grants).filter(([, g]) => g.expiresAt <= at).map(([parentId]) => parentId);
  if (expired.length === 0) return { consent, expired };
  const grants = Object.fromEntries(Object.entries(consent.grants).filter(([parentId]) => !expired.includes(parentId)));
  const history = [...consent.history, ...expired.map((parentId): Evidence => ({ at: consent.grants[parentId]!.expiresAt, action: 'expired', parentId, purposeVersion: consent.purposeVersion }))];
  return { consent: { ...consent, grants, history, nextExpiry: nextExpiryOf(grants) }, expired };
}

export interface Evaluation {
  valid: boolean;
  /** Custody holders whose live grant is missing. */
  missing: string[];
  /** When the consent stops being valid by itself, if valid. */
  validUntil: string | null;
}

/**
 * Is the consent valid now, given who holds custody of the child now? Only grants from current
 * custody holders count. A purpose that needs every holder needs a live grant from each; one
 * that does not needs one. A child with no known custody holder has no valid consent.
 */
export function evaluate(consent: Consent, custodyHolders: string[], now: Date): Evaluation {
  const at = now.toISOString();
  const live = custodyHolders.filter((p) => (consent.grants[p]?.expiresAt ?? '') > at);
  const missing = custodyHolders.filter((p) => !live.includes(p));
  const valid = custodyHolders.length > 0 && (consent.requiresAllCustodyHolders ? missing.length === 0 : live.length > 0);
  const ends = live.map((p) => consent.grants[p]!.expiresAt).sort();
  return { valid, missing, validUntil: valid ? (consent.requiresAllCustodyHolders ? ends[0]! : ends[ends.length - 1]!) : null };
}

/**
 * When a consent's retention clock starts: once it holds no live grant (every grant withdrawn or
 * expired, or none ever given), from its last piece of evidence. A consent granted again later is
 * in use again, and its clock starts over when that grant ends. Null while a grant lives.
 */
export function consentClockStart(consent: Pick<Consent, 'grants' | 'history'>): Date | null {
  if (Object.keys(consent.grants).length > 0) return null;
  // A re-evaluation records what custody did, not a use of the consent: it does not restart the clock.
  const last = consent.history.filter((e) => e.action !== 'reevaluated').map((e) => e.at).sort().at(-1);
  return last ? new Date(last) : null;
}

/**
 * The consent against the custody holders as they are now, when that changes what its last event
 * said (valid, or until when); null when it does not. A consent one parent granted while consent
 * knew only that parent is no longer valid once the other custody holder is registered, and the
 * consumers that act on it (transitions' handover, action-plans' meetings) must hear so, though
 * no parent acted. Recorded in the history as evidence.
 */
export function reevaluate(consent: Consent, custodyHolders: string[], now: Date): Consent | null {
  // Evaluated against these holders already: nothing changed for it (a redelivered event).
  const holders = [...custodyHolders].sort();
  if (consent.published?.holders && JSON.stringify(consent.published.holders) === JSON.stringify(holders)) return null;
  const { valid, validUntil } = evaluate(consent, custodyHolders, now);
  // Stored before `published` was kept, with no grant: it was invalid and still is.
  if (!consent.published && Object.keys(consent.grants).length === 0) return null;
  if (consent.published && consent.published.valid === valid && consent.published.validUntil === validUntil) return null;
  return { ...consent, history: [...consent.history, { at: now.toISOString(), action: 'reevaluated', purposeVersion: consent.purposeVersion }] };
}
