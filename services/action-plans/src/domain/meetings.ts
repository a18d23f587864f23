// Meetings, referrals, notifications of concern and intermediate provisions (R11–R14).
import { AppError, ruleViolation, type FieldError } from '@spor/service-kit';

export const MEETING_KINDS = ['parents-conversation', 'sparring', 'network'] as const;
export type MeetingKind = (typeof MEETING_KINDS)[number];
export const REFERRALS = ['ppv', 'viso'] as const;

export interface Meeting {
  meetingId: string;
  kind: MeetingKind;
  on: string;
  /** Participants by role; external professionals are what makes a network meeting need consent. */
  participants: { role: string; external: boolean }[];
  minutes?: string;
  /** A referral agreed at the meeting (R12). */
  referral?: (typeof REFERRALS)[number];
  consentIds: string[];
}

/** The consents a meeting needs: R11 for external professionals at a network meeting, R12 for a referral. */
export function consentsNeeded(meeting: Pick<Meeting, 'kind' | 'participants' | 'referral'>): { purposeId: string; rule: string; why: string }[] {
  const needed: { purposeId: string; rule: string; why: string }[] = [];
  if (meeting.kind === 'network' && meeting.participants.some((p) => p.external)) needed.push({ purposeId: 'network-meeting', rule: 'R11', why: 'a network meeting with external professionals' });
  if (meeting.referral) needed.push({ purposeId: `referral-${meeting.referral}`, rule: 'R12', why: `a referral to ${meeting.referral.toUpperCase()}` });
  if (meeting.referral && meeting.kind === 'sparring') {
    throw new AppError({ status: 422, code: 'MEETING_INVALID', title: 'The meeting is not valid', detail: 'referral: a referral is agreed with the parents at a network or parents’ meeting (R12)', errors: [{ in: 'body', field: 'referral', message: 'agreed at a network or parents’ meeting' }] });
  }
  return needed;
}

export function refuseWithoutConsent(missing: { purposeId: string; rule: string; why: string }[], on: string): void {
  if (missing.length === 0) return;
  const first = missing[0]!;
  throw ruleViolation({ code: 'CONSENT_REQUIRED', rule: first.rule, detail: missing.map((m) => `${m.why} needs the parents’ consent, valid on the meeting’s day ${on} (purpose ${m.purposeId}, ${m.rule})`).join('; ') });
}

export interface Provision {
  provisionId: string;
  purpose: string;
  content: string;
  method: string;
  pedagogy: string;
  from: string;
  to: string;
  followUpOn: string;
  parentsInvolvement: string;
  childPerspective: string;
  /** How the child stays part of a learning community meanwhile (R14). */
  learningCommunity: string;
}

/** R14: a mellemform is described by purpose, content, method and pedagogy, is time-limited, and has a follow-up. */
export function checkProvision(p: Omit<Provision, 'provisionId'>, plan: { status: string; childId: string | null }, grants: { from: string | null; to: string | null }[]): void {
  const errors: FieldError[] = [];
  if (plan.status !== 'active') errors.push({ in: 'body', field: 'planId', message: 'a mellemform is linked to the child’s active plan' });
  if (!plan.childId) errors.push({ in: 'body', field: 'planId', message: 'a mellemform is for one child: it belongs in the child’s individual plan, not a group’s' });
  if (p.to <= p.from) errors.push({ in: 'body', field: 'to', message: 'a mellemform is time-limited: it ends after it begins' });
  if (p.followUpOn < p.from || p.followUpOn > p.to) errors.push({ in: 'body', field: 'followUpOn', message: 'the follow-up falls within the period' });
  if (errors.length > 0) throw ruleViolation({ code: 'PROVISION_INVALID', rule: 'R14', status: 422, detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors });
  // R9: the district council grants a mellemform, for a period; the provision runs within it.
  if (!grants.some((g) => g.from !== null && g.to !== null && g.from <= p.from && p.to <= g.to)) {
    throw ruleViolation({ code: 'MELLEMFORM_NOT_GRANTED', rule: 'R9', status: 409, detail: `no decision of the district council grants this child a mellemform for ${p.from} to ${p.to}${grants.length > 0 ? ` (granted: ${grants.map((g) => `${g.from} to ${g.to}`).join(', ')})` : ''}` });
  }
}
