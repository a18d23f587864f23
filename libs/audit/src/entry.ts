// The one audit format of the suite (issue 12): who (subject, kind, roles, municipality,
// institution where known), when, which child or record, what (read, search, create, change,
// export, delete, with the service's own verb beside it), the search criterion (ids and codes
// only) and the purpose where the rules ask for one. Each entry is hash-chained to the one
// before it in its chain, so an entry changed or removed in the store is found by verify.
import { createHash } from 'node:crypto';
import { containsCpr } from '@spor/service-kit';

export const AUDIT_ACTIONS = ['read', 'search', 'create', 'change', 'export', 'delete'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * The services' own verbs and the action each is. A verb missing here is refused when it is
 * recorded, so a new route cannot log something the access report cannot classify.
 */
const VERBS: Record<string, AuditAction> = {
  'read-cpr': 'read',
  'lookup-cpr': 'search',
  'create-completed': 'create',
  'record-concern': 'create',
  submit: 'create',
  'record-meeting': 'create',
  import: 'create',
  'import-correct': 'change',
  update: 'change',
  complete: 'change',
  amend: 'change',
  share: 'change',
  unshare: 'change',
  'answer-as-parent': 'change',
  'add-provision': 'change',
  activate: 'change',
  'add-effort': 'change',
  evaluate: 'change',
  close: 'change',
  decide: 'change',
  rebuild: 'change',
  grant: 'change',
  withdraw: 'change',
  hold: 'change',
  release: 'change',
  archive: 'export',
  anonymise: 'delete',
  erase: 'delete',
};

export function actionOf(verb: string): AuditAction {
  if ((AUDIT_ACTIONS as readonly string[]).includes(verb)) return verb as AuditAction;
  const action = VERBS[verb];
  if (!action) throw new Error(`audit: unknown verb "${verb}"; use one of ${AUDIT_ACTIONS.join(', ')} or add it to the verb table`);
  return action;
}

/** A search criterion names fields and ids or codes: never a CPR number, never free text. */
export type Criterion = Record<string, string | number | boolean>;
const CODE = /^[A-Za-z0-9:._@-]{1,100}$/;

export function checkCriterion(criterion: Criterion): void {
  for (const [field, value] of Object.entries(criterion)) {
    if (!CODE.test(field)) throw new Error(`audit: criterion field "${field}" is not a code`);
    if (typeof value === 'string' && (!CODE.test(value) || containsCpr(value))) throw new Error(`audit: criterion ${field} must be an id or a code (no CPR numbers, no free text)`);
  }
}

export interface AuditEntry {
  /** `<chain>:<seq>` (entryId): two writers of one chain cannot both store the same place in it. */
  _id: string;
  chain: string;
  seq: number;
  /** The hash of the entry before this one in the chain (GENESIS, all zeros, for the first). */
  prevHash: string;
  hash: string;
  service: string;
  at: Date;
  /** The person's pseudonymous id, or a service's client id. */
  actor: string;
  actorKind: 'staff' | 'parent' | 'service';
  /** `role@unitId`, as the token granted them. */
  roles: string[];
  municipalityId: string;
  /** The institution through which the actor reached the child, where the route knows it. */
  institutionId?: string;
  action: AuditAction;
  /** The service's own verb (activate, read-cpr, ...); equal to action when there is none. */
  operation: string;
  recordType: string;
  recordId: string | null;
  /** The child the record concerns, so a child's (or parent's) access report is one query. */
  childId?: string;
  criterion?: Criterion;
  purpose?: string;
}

/** What a route says; the log adds who, when and the chain. */
export interface AuditInput {
  /** One of AUDIT_ACTIONS or a verb of the table above. */
  action: string;
  recordType: string;
  recordId: string | null;
  childId?: string;
  institutionId?: string;
  criterion?: Criterion;
  purpose?: string;
}

/**
 * A SHA-256 written as two UUID-shaped groups (`8-4-4-4-12.8-4-4-4-12`). Plain hex holds runs of
 * ten digits often enough that the CPR scanners guarding events and logs refuse one entry in a
 * few hundred; they pass over UUIDs, so this form can never read as a CPR number.
 */
export function formatHash(hex: string): string {
  const uuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  return `${uuid(hex.slice(0, 32))}.${uuid(hex.slice(32, 64))}`;
}

export const GENESIS = formatHash('0'.repeat(64));

/**
 * An entry's id, `<chain>:<seq>` with the sequence number padded to 16 digits: a long-lived chain
 * passes ten-digit numbers, and an unpadded one could read as a CPR number (a padded run begins
 * with 00, which no CPR number does).
 */
export const entryId = (chain: string, seq: number) => `${chain}:${String(seq).padStart(16, '0')}`;
/** The fields the hash covers: everything but the hash itself and the outbox fields. */
const HASHED: (keyof AuditEntry)[] = ['_id', 'chain', 'seq', 'prevHash', 'service', 'at', 'actor', 'actorKind', 'roles', 'municipalityId', 'institutionId', 'action', 'operation', 'recordType', 'recordId', 'childId', 'criterion', 'purpose'];

/** JSON with sorted keys and dates as ISO strings: the same bytes before and after a store round trip. */
function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function hashOf(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  const covered: Record<string, unknown> = {};
  for (const key of HASHED) covered[key] = (entry as unknown as Record<string, unknown>)[key];
  return formatHash(createHash('sha256').update(canonical(covered)).digest('hex'));
}
