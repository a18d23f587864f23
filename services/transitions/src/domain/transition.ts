// A planned transition (overgang) and what goes with the child: the goodbye/hello checklist
// ("Farvel og Goddag") and the handover package (overgangsmateriale). Pure rules; the store
// persists what these return. The package's texts are personal data: they stay in this
// service's database and never go into an event.
import { AppError, conflict, ruleViolation } from '@spor/service-kit';
import { categoryOf, type InstitutionType, type Placement } from './enrollment.js';

export const TRANSITION_KINDS = ['daycare-to-daycare', 'daycare-to-school', 'school-to-school', 'into-sfo'] as const;
export type TransitionKind = (typeof TRANSITION_KINDS)[number];

/** The municipality's choice of legal basis for passing on knowledge (daycare act § 3 a). */
export type LegalBasis = 'consent' | 'guidelines';

export const DEFAULT_CHECKLIST: { key: string; label: string }[] = [
  { key: 'conversation-child', label: 'Samtale med barnet om at sige farvel og goddag' },
  { key: 'conversation-parents', label: 'Overgangssamtale med forældrene' },
  { key: 'visit', label: 'Besøg i den nye institution' },
  { key: 'childs-story', label: 'Barnets egen fortælling' },
  { key: 'handover-meeting', label: 'Overleveringsmøde med den modtagende institution' },
];

export interface ChecklistItem {
  key: string;
  label: string;
  done: boolean;
  by?: string;
  at?: string;
}

export type HandoverStatus = 'draft' | 'shown-to-parents' | 'released' | 'acknowledged' | 'revoked';

/** An external standardised test's result as a package carries it (from assessments' events; no test name). */
export interface HandoverExternalResult {
  source: string;
  testedOn: string;
  score: number;
  maxScore: number | null;
  interpretation: string;
}

export interface Handover {
  status: HandoverStatus;
  note?: string;
  childPerspective?: string;
  parentsPerspective?: string;
  includeAssessments: boolean;
  includeActionPlans: boolean;
  parentComments: { by: string; at: string; text: string }[];
  /** Frozen at release: the latest result categories per instrument, when the package includes them. */
  assessmentResults?: { instrumentId: string; instrumentVersion: number; completedOn: string; ageMonths: number | null; results: { section: string; category: string | null }[] }[];
  /** Frozen at release with the assessment results: the newest result per external standardised test (codes, dates, scores). */
  externalResults?: HandoverExternalResult[];
  /** Frozen at release: the child's action plans, active and closed, with their effort levels. */
  actionPlans?: { planId: string; status: string; effortLevels: string[]; activatedOn?: string; lastEvaluatedOn?: string; closedOn?: string }[];
  releasedAt?: string;
  releasedBy?: string;
  legalBasis?: LegalBasis;
  consentId?: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  revokedAt?: string;
  revokedBecause?: string;
}

export interface Transition {
  municipalityId: string;
  childId: string;
  fromPlacementId: string;
  fromInstitutionId: string;
  toInstitutionId: string;
  toInstitutionType: InstitutionType;
  toGroupId: string | null;
  date: string;
  kind: TransitionKind;
  status: 'planned' | 'completed' | 'cancelled';
  checklist: ChecklistItem[];
  handover: Handover;
  plannedBy: string;
  /** Who called the transition off, and when (status cancelled). */
  cancelledBy?: string;
  cancelledAt?: string;
  /** Why the enrollment could not be moved when the date came, for staff to resolve. */
  completionProblem?: string;
}

/** The kind a transition between two institution types is, or a 422 naming why it is none. */
export function kindOf(from: InstitutionType, to: InstitutionType): TransitionKind {
  const [a, b] = [categoryOf(from), categoryOf(to)];
  if (b === 'sfo') return 'into-sfo';
  if (a === 'daycare' && b === 'daycare') return 'daycare-to-daycare';
  if (a === 'daycare' && b === 'school') return 'daycare-to-school';
  if (a === 'school' && b === 'school') return 'school-to-school';
  throw new AppError({ status: 422, code: 'TRANSITION_INVALID', title: 'The transition is not valid', detail: `toInstitutionId: a child does not go from ${from} to ${to}`, errors: [{ in: 'body', field: 'toInstitutionId', message: `a child does not go from ${from} to ${to}` }] });
}

export function planTransition(input: Omit<Transition, 'status' | 'checklist' | 'handover' | 'kind' | 'toInstitutionType'> & { fromType: InstitutionType; toType: InstitutionType; checklist?: { key: string; label: string }[] }): Transition {
  const { fromType, toType, checklist, ...rest } = input;
  return {
    ...rest,
    toInstitutionType: toType,
    kind: kindOf(fromType, toType),
    status: 'planned',
    checklist: (checklist ?? DEFAULT_CHECKLIST).map((item) => ({ ...item, done: false })),
    handover: { status: 'draft', includeAssessments: true, includeActionPlans: true, parentComments: [] },
  };
}

export function tickChecklist(t: Transition, key: string, done: boolean, by: string, at: Date): Transition {
  if (!t.checklist.some((i) => i.key === key)) throw new AppError({ status: 422, code: 'CHECKLIST_ITEM_UNKNOWN', title: 'No such checklist item', detail: `key: the checklist has ${t.checklist.map((i) => i.key).join(', ')}` });
  return { ...t, checklist: t.checklist.map((i) => (i.key === key ? (done ? { key: i.key, label: i.label, done, by, at: at.toISOString() } : { key: i.key, label: i.label, done: false }) : i)) };
}

const editable = (h: Handover) => h.status === 'draft' || h.status === 'shown-to-parents';

/** What goes along from the other services: frozen into the package when parents are shown it, and at release. */
const CONTENT_KEYS = ['assessmentResults', 'externalResults', 'actionPlans'] as const;
export type PackageContent = Pick<Handover, (typeof CONTENT_KEYS)[number]>;

/** The package as the administration sees it: where it stands, none of what it says nor carries. */
export function packageOutline(h: Handover): Handover {
  const { note: _n, childPerspective: _c, parentsPerspective: _p, ...rest } = withoutContent(h);
  return { ...rest, parentComments: [] };
}

/** The handover without any content frozen into it. */
function withoutContent(h: Handover): Handover {
  const rest = { ...h };
  for (const key of CONTENT_KEYS) delete rest[key];
  return rest;
}

/** The content the package's choices let go along. */
function chosen(h: Handover, content: PackageContent): PackageContent {
  return {
    ...(h.includeAssessments && content.assessmentResults ? { assessmentResults: content.assessmentResults } : {}),
    ...(h.includeAssessments && content.externalResults ? { externalResults: content.externalResults } : {}),
    ...(h.includeActionPlans && content.actionPlans ? { actionPlans: content.actionPlans } : {}),
  };
}

export function editHandover(t: Transition, change: Partial<Pick<Handover, 'note' | 'childPerspective' | 'parentsPerspective' | 'includeAssessments' | 'includeActionPlans'>>): Transition {
  if (!editable(t.handover)) throw conflict('HANDOVER_RELEASED', `the package is ${t.handover.status}; it no longer changes`);
  // Parents who were shown one content see a new one before release again (what they were shown goes).
  return { ...t, handover: { ...withoutContent(t.handover), ...change, status: 'draft' } };
}

/**
 * Shows the parents the package as it would go along now: the texts and, frozen, the results and
 * plans it carries (daycare act § 3a: the parents know what is passed on, and may comment).
 * On the guidelines basis, release passes on exactly this.
 */
export function showToParents(t: Transition, content: PackageContent = {}): Transition {
  if (!editable(t.handover)) throw conflict('HANDOVER_RELEASED', `the package is ${t.handover.status} already`);
  const handover = withoutContent(t.handover);
  return { ...t, handover: { ...handover, ...chosen(handover, content), status: 'shown-to-parents' } };
}

export function commentAsParent(t: Transition, by: string, text: string, at: Date): Transition {
  if (t.handover.status !== 'shown-to-parents') throw conflict('HANDOVER_NOT_SHOWN', 'parents comment on a package they have been shown, before it is released');
  return { ...t, handover: { ...t.handover, parentComments: [...t.handover.parentComments, { by, at: at.toISOString(), text }] } };
}

/**
 * Releases the package to the receiving institution. On consent (the default basis), a valid
 * consent to transfer to that very institution must exist (R15); on the municipality's
 * guidelines, the parents must have been shown the content first.
 */
export function release(t: Transition, basis: LegalBasis, consentId: string | null, by: string, at: Date, content: PackageContent = {}): Transition {
  if (t.status === 'cancelled') throw conflict('TRANSITION_CANCELLED', 'the transition was cancelled');
  if (t.handover.status === 'released' || t.handover.status === 'acknowledged') return t;
  if (basis === 'consent' && !consentId) {
    throw ruleViolation({ code: 'CONSENT_REQUIRED', rule: 'R15', status: 409, detail: `no valid consent from the custody holders to pass knowledge to institution ${t.toInstitutionId}; ask for consent (purpose transition-transfer) first` });
  }
  if (basis === 'guidelines' && t.handover.status !== 'shown-to-parents') {
    throw ruleViolation({ code: 'PARENTS_NOT_SHOWN', rule: 'R15', status: 409, detail: 'on the municipality’s guidelines, the parents are shown the package before it is released' });
  }
  // On guidelines, what the parents were shown goes along, not what was recorded since; on
  // consent, what there is now (the consent covers the purpose, not one snapshot). A package
  // shown before showing froze its content (no content key at all) takes what there is now.
  const handover = withoutContent(t.handover);
  const shownContent = CONTENT_KEYS.some((key) => key in t.handover);
  const frozen = basis === 'guidelines' && shownContent ? chosen(handover, t.handover) : chosen(handover, content);
  return { ...t, handover: { ...handover, ...frozen, status: 'released', releasedAt: at.toISOString(), releasedBy: by, legalBasis: basis, ...(consentId ? { consentId } : {}) } };
}

export function acknowledge(t: Transition, by: string, at: Date): Transition {
  if (t.handover.status === 'acknowledged') return t;
  if (t.handover.status !== 'released') throw conflict('HANDOVER_NOT_RELEASED', 'only a released package is acknowledged');
  return { ...t, handover: { ...t.handover, status: 'acknowledged', acknowledgedAt: at.toISOString(), acknowledgedBy: by } };
}

/**
 * Calls a planned transition off before it is completed (the parents chose another school, say):
 * the child is not moved on the date, and a package released for it leaves the receiving
 * institution. Cancelling a cancelled one changes nothing (null); a completed one is 409.
 */
export function cancelTransition(t: Transition, by: string, at: Date): Transition | null {
  if (t.status === 'cancelled') return null;
  if (t.status === 'completed') throw conflict('TRANSITION_COMPLETED', 'the child has moved already: the transition is completed');
  const shared = t.handover.status === 'released' || t.handover.status === 'acknowledged';
  return {
    ...t,
    status: 'cancelled',
    cancelledBy: by,
    cancelledAt: at.toISOString(),
    ...(shared ? { handover: { ...t.handover, status: 'revoked' as const, revokedAt: at.toISOString(), revokedBecause: 'transition-cancelled' } } : {}),
  };
}

export function revoke(t: Transition, because: string, at: Date): Transition | null {
  if (t.handover.status !== 'released' && t.handover.status !== 'acknowledged') return null;
  return { ...t, handover: { ...t.handover, status: 'revoked', revokedAt: at.toISOString(), revokedBecause: because } };
}

/**
 * Whether the receiving institution still has the child to know its package for: before the
 * move it prepares; after the move, for as long as the child is (or is yet to be) placed there.
 * Once the child has left it again, its staff lose the package, as an institution loses a
 * child's records when the child moves on (the package itself stays, for retention).
 */
export function receiverStillHasTheChild(t: Pick<Transition, 'status' | 'toInstitutionId'>, placements: Placement[], today: string): boolean {
  if (t.status !== 'completed') return true;
  return placements.some((p) => p.institutionId === t.toInstitutionId && (p.to === null || p.to >= today));
}

/**
 * When a transition's retention clock starts: the day of the move, once the move is done. A
 * planned transition (also one whose date passed but whose enrollment could not be moved yet) is
 * in use.
 */
export function transitionClockStart(t: Pick<Transition, 'status' | 'date'>): Date | null {
  return t.status === 'planned' ? null : new Date(`${t.date}T00:00:00Z`);
}
