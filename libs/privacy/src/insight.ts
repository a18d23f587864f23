// The shapes every service answers in, so parents' insight and the data-subject export are
// solved once: the gateway (and the export composer) fan out to every service and put the
// answers side by side.
//
//   GET /children/{childId}/insight   parent with custody       ChildInsight
//   GET /children/{childId}/export    the municipality's dpo    ChildExport
import type { Db, Document } from 'mongodb';
import type { AuditEntry } from '@spor/audit';
import type { Principal } from '@spor/auth';
import { WITHOUT_OUTBOX } from '@spor/events';

/** What a service keeps about a child, by record kind (the kinds of its retention table where it has one). */
export type RecordsByKind = Record<string, unknown[]>;

/**
 * What the privacy routes need to know about a child and its people: the child's municipality,
 * who holds custody now, and where a unit sits in the organisation tree. Services that keep a
 * projection of identity's directory pass their `DirectoryView`; identity, which owns the
 * directory, answers from its own records.
 */
export interface ChildRelations {
  /** The person, if known: a child's municipality scopes every staff access. */
  person(id: string): Promise<{ kind: string; municipalityId: string } | null>;
  /** The ids of the parents holding custody of the child now. */
  custodyHolders(childId: string): Promise<string[]>;
  /** The unit and its ancestors (any order); unknown: empty. */
  unitPath(unitId: string): Promise<{ _id: string; kind: string }[]>;
  /** Whether the person's entry was removed from the directory (identity's retention or an erasure); a view that can tell. */
  isRemoved?(personId: string): Promise<boolean>;
  /** Also tells `views` of a child whose entry leaves the directory (DirectoryView.alsoForget). */
  alsoForget?(...views: { forgetChild(childId: string): Promise<void> }[]): void;
}

/** How a service finds one child's data. */
export interface ChildDataSource {
  /**
   * Everything about the child, as stored (the export). `reader` is the officer asking, for a
   * source whose own rules depend on who reads (identity shows a CPR number only under its rules).
   */
  all(childId: string, reader: Principal): Promise<RecordsByKind>;
  /** What a custody holder may see under the rules (shared plans, shared assessments, ...). */
  forParent(childId: string, parentId: string): Promise<RecordsByKind>;
  /**
   * Kinds of record whose very existence parents are not told (a notification of concern, R13):
   * the access log parents see leaves out the entries about them. The officer's export keeps them.
   */
  unknownToParents?: string[];
}

/** One access to the child's records as a parent sees it: by role and institution, never by name. */
export interface AccessSeen {
  at: string;
  action: AuditEntry['action'];
  /** The service's own verb (read, activate, share, ...). */
  operation: string;
  recordType: string;
  by: { kind: AuditEntry['actorKind']; roles: string[]; institutionIds: string[]; you?: true };
  purpose?: string;
}

export interface RetentionSeen {
  kind: string;
  description: string;
  days: number;
  publicRecord: boolean;
  /** When each of the child's records of this kind will be deleted; null while it is still in use. */
  records: { recordId: string; deletedAfter: string | null }[];
}

export interface ChildInsight {
  service: string;
  childId: string;
  records: RecordsByKind;
  accessLog: AccessSeen[];
  retention: RetentionSeen[];
  /** Filled by consent only: the consents asked for the child, with their state. */
  consents?: unknown[];
}

export interface ChildExport {
  service: string;
  childId: string;
  exportedAt: string;
  records: RecordsByKind;
  /** The full audit entries about the child (pseudonymous staff ids, for the officer). */
  accessLog: Omit<AuditEntry, 'prevHash' | 'hash'>[];
  retention: RetentionSeen[];
  legalHolds: unknown[];
  disposals: unknown[];
}

/** The audit entries as a parent sees them: roles and institutions, not names or staff ids. */
export async function accessSeenByParent(entries: AuditEntry[], parentId: string, directory: Pick<ChildRelations, 'unitPath'>): Promise<AccessSeen[]> {
  const institutionOf = new Map<string, string | null>();
  const resolve = async (unitId: string) => {
    if (!institutionOf.has(unitId)) {
      const path = await directory.unitPath(unitId).catch(() => []);
      institutionOf.set(unitId, path.find((u) => u.kind === 'institution')?._id ?? null);
    }
    return institutionOf.get(unitId)!;
  };
  const seen: AccessSeen[] = [];
  for (const e of entries) {
    const units = e.roles.map((r) => r.slice(r.lastIndexOf('@') + 1));
    const institutions = new Set<string>(e.institutionId ? [e.institutionId] : []);
    if (!e.institutionId) for (const unit of units) {
      const institution = await resolve(unit);
      if (institution) institutions.add(institution);
    }
    seen.push({
      at: e.at.toISOString(),
      action: e.action,
      operation: e.operation,
      recordType: e.recordType,
      by: { kind: e.actorKind, roles: [...new Set(e.roles.map((r) => r.slice(0, r.lastIndexOf('@'))))], institutionIds: [...institutions], ...(e.actor === parentId ? { you: true as const } : {}) },
      // Only a purpose given as a code: a purpose in words may name people.
      ...(e.purpose && /^[a-z][a-z0-9-]{1,60}$/.test(e.purpose) ? { purpose: e.purpose } : {}),
    });
  }
  return seen;
}

/** One kind of record kept in a collection, found by the child's id in `childField`. */
export interface CollectionPart {
  collection: string;
  childField: string;
  /** What parents may see of it: a filter added to the child's (`{ sharedWithParents: true }`), everything (`{}`), or nothing (absent). */
  parents?: Document;
  /** Stored fields that are no part of the record (lookup keys, AggregateStoreOptions.lookup). */
  hide?: string[];
  /** Parents are not told these records exist, not even by who read them (ChildDataSource.unknownToParents). */
  unknownToParents?: boolean;
  /**
   * The only fields parents see, where the service's own parent view shows less than the record
   * (staff's answers and notes stay with staff); absent: the whole record.
   */
  parentFields?: string[];
  /**
   * Where what a parent sees depends on which parent asks (their own contributions among the
   * other custody holder's): the records are read with `parentFields` and `reads`, without the
   * `parents` filter, and `show` decides per record what this parent sees, null for nothing.
   */
  parentSees?: { reads: string[]; show: (record: Document, parentId: string) => Document | null };
}

/** A ChildDataSource over plain collections: most services need no more than this. */
export function collectionsByChild(db: Db, parts: Record<string, CollectionPart>): ChildDataSource {
  const read = async (childId: string, parentId: string | null): Promise<RecordsByKind> => {
    const out: RecordsByKind = {};
    for (const [kind, part] of Object.entries(parts)) {
      const parents = parentId !== null;
      if (parents && !part.parents) continue;
      const fields = parents && part.parentFields ? [...part.parentFields, ...(part.parentSees?.reads ?? [])] : null;
      const projection = fields ? Object.fromEntries(fields.map((f) => [f, 1])) : { ...WITHOUT_OUTBOX, ...Object.fromEntries((part.hide ?? []).map((f) => [f, 0])) };
      const filter = parents && !part.parentSees ? part.parents : {};
      const docs = await db.collection(part.collection).find({ [part.childField]: childId, ...filter }, { projection }).toArray();
      const shown = parents && part.parentSees ? docs.flatMap((d) => part.parentSees!.show(d, parentId) ?? []) : docs;
      out[kind] = shown.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
    }
    return out;
  };
  return {
    all: (childId) => read(childId, null),
    forParent: (childId, parentId) => read(childId, parentId),
    unknownToParents: Object.entries(parts).filter(([, part]) => part.unknownToParents).map(([kind]) => kind),
  };
}
