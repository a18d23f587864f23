// identity in parents' insight and the data-protection officer's export (docs/data-protection.md).
// identity owns the directory, so the privacy routes of libs/privacy ask identity's own records
// who the child is, who holds custody and where a unit sits, instead of a DirectoryView.
//
// What identity keeps about a child: the person record (names, birth year and month, the CPR
// number sealed and as a lookup hash) and the guardianships (who is a parent of the child, with
// or without custody). Children hold no memberships and do not log in (no sessions).
//
// Retention: a child's entry (with its guardianships) leaves the directory five years after its
// last placement in the municipality ended (domain/person-retention.ts for when the clock starts);
// a parent's entry 30 days after the last child it linked left (never linked: after registration).
// The archive package of either holds no name and no CPR number: the entry is a copy of the CPR
// register, which stays the authority, not a case record (the records about the child are
// archived by their services).
import type { AuditEntry, AuditLog } from '@spor/audit';
import { hasRole, type Principal } from '@spor/auth';
import type { DirectoryView } from '@spor/directory';
import type { EventFactory, SporEvent, Stored } from '@spor/events';
import { AppError, conflict } from '@spor/service-kit';
import type { Person } from './domain/person.js';
import type { ChildDataSource, ChildRelations, RecordsByKind, RetainedKind, RetentionCandidate } from '@spor/privacy';
import type { CprVault } from './domain/cpr-vault.js';
import { childClockStart, parentClockStart } from './domain/person-retention.js';
import type { SessionStore } from './store/session-store.js';
import { PERSON_REMOVED } from './store/person-repository.js';
import type { OrgUnitRepository } from './store/org-unit-repository.js';
import type { PersonRepository } from './store/person-repository.js';
import type { RelationRepository } from './store/relation-repository.js';

/** The purpose an export's CPR read is logged with, as the export itself. */
export const EXPORT_PURPOSE = 'data-subject-access-request';

/**
 * The one rule for reading a CPR number (POST /admin/persons/{id}/cpr-reads): the municipality's
 * system administrator, stating a purpose, logged as `read-cpr`. The export follows it: an
 * officer who is not also system administrator gets the fact that a number is held, not the number.
 */
const CPR_READERS = ['system-administrator'] as const;

/** How a CPR number appears outside the vault. Parents never see it, not even masked (README). */
const cprHeld = { recorded: true, encrypted: true, shown: false } as const;

export function identityRelations(persons: PersonRepository, relations: RelationRepository, units: OrgUnitRepository): ChildRelations {
  return {
    person: (id) => persons.get(id),
    custodyHolders: async (childId) => (await relations.guardiansOf(childId)).filter((g) => g.custody).map((g) => g.parentId),
    async unitPath(unitId) {
      const path: { _id: string; kind: string }[] = [];
      // The tree is four levels deep; the bound only guards against a cycle in bad data.
      for (let id: string | null = unitId, depth = 0; id && depth < 8; depth++) {
        const unit = await units.get(id);
        if (!unit) break;
        path.push({ _id: unit._id, kind: unit.kind });
        id = unit.parentId;
      }
      return path;
    },
  };
}

export function identityChildData(deps: { persons: PersonRepository; relations: RelationRepository; vault: CprVault; audit: AuditLog }): ChildDataSource {
  const { persons, relations, vault, audit } = deps;
  const childOf = async (childId: string) => {
    const person = await persons.get(childId);
    return person?.kind === 'child' ? person : null;
  };
  return {
    async forParent(childId: string, parentId: string): Promise<RecordsByKind> {
      const child = await childOf(childId);
      if (!child) return { person: [], guardianship: [] };
      const guardians = await relations.guardiansOf(childId);
      return {
        person: [{ id: child._id, kind: child.kind, givenName: child.givenName, familyName: child.familyName, birthYear: child.birthYear, birthMonth: child.birthMonth, cpr: cprHeld }],
        // Other guardians by their relation only: their ids mean nothing to a parent, and a
        // parent learns no more about the other parent here than that one exists.
        guardianship: guardians.map((g) => ({ guardian: g.parentId === parentId ? 'you' : 'another-parent', custody: g.custody })),
      };
    },

    async all(childId: string, reader: Principal): Promise<RecordsByKind> {
      const child = await childOf(childId);
      if (!child) return { person: [], guardianship: [] };
      const { _id, sealedCpr, cprHash: _hash, ...stored } = child;
      let cpr: Record<string, unknown> = { ...cprHeld, reason: 'a CPR number is read only by the municipality’s system administrator, with a purpose (POST /admin/persons/{personId}/cpr-reads)' };
      if (CPR_READERS.some((role) => hasRole(reader, role))) {
        // Logged before it is read, like every CPR read.
        await audit.record(reader, { action: 'read-cpr', recordType: 'person', recordId: _id, childId: _id, purpose: EXPORT_PURPOSE });
        cpr = { recorded: true, encrypted: true, shown: true, number: vault.decrypt(sealedCpr, _id), keyId: vault.keyIdOf(sealedCpr) };
      } else {
        cpr.keyId = vault.keyIdOf(sealedCpr);
      }
      const guardians = await relations.guardiansOf(childId);
      return {
        person: [{ id: _id, ...stored, cpr }],
        guardianship: guardians.map(({ _id: id, ...g }) => ({ id, ...g })),
      };
    },
  };
}

/**
 * The audit entries about the child: those naming it as the child, and those about its person
 * record by id (entries written before identity named the child in them).
 */
export function identityAuditTrail(audit: AuditLog): (childId: string) => Promise<AuditEntry[]> {
  return async (childId) => {
    const byId = new Map<string, AuditEntry>();
    for (const e of await audit.forChild(childId)) byId.set(e._id, e);
    for (const e of await audit.forRecord(childId)) if (e.recordType === 'person') byId.set(e._id, e);
    return [...byId.values()].sort((a, b) => a.at.getTime() - b.at.getTime() || a.chain.localeCompare(b.chain) || a.seq - b.seq);
  };
}

const YEAR_DAYS = 365;

/** The record kinds of identity's retention (reporting recognises child-person: services/reporting/src/domain/disposal.ts). */
export const IDENTITY_RECORD_KINDS = { child: 'child-person', parent: 'parent-person' } as const;

type EntryFacts = Pick<Person, 'kind' | 'birthYear' | 'birthMonth' | 'unlinkedAt'>;

/** What the archive keeps of a child's entry: no name, no CPR number (see the top of this file). */
function childRecord(c: EntryFacts, placements: { from: string; to: string | null }[], guardians: { parentId: string; custody: boolean }[]) {
  return {
    kind: c.kind,
    birthYear: c.birthYear,
    birthMonth: c.birthMonth,
    placements: placements.map(({ from, to }) => ({ from, to })),
    guardianships: guardians.map((g) => ({ parentId: g.parentId, custody: g.custody })),
  };
}

/** What the archive keeps of a parent's entry. */
function parentRecord(p: EntryFacts) {
  return { kind: p.kind, birthYear: p.birthYear, birthMonth: p.birthMonth, ...(p.unlinkedAt ? { unlinkedAt: p.unlinkedAt } : { neverLinked: true }) };
}

/**
 * Erasure of an entry registered in error (POST /admin/persons/{id}/erasure): only a child's or a
 * parent's entry that nothing links yet (no guardianship, no placement) goes at once, through
 * the same disposal as retention. Anything else is refused, naming what links it.
 */
export async function erasureOf(
  person: Stored<Person>,
  deps: { relations: RelationRepository; placements: Pick<DirectoryView, 'placementHistory'> },
  now: Date,
): Promise<{ kind: string; candidate: RetentionCandidate }> {
  if (person.kind === 'staff') {
    throw new AppError({ status: 422, code: 'ERASURE_NOT_FOR_STAFF', title: 'Staff entries are not erased here', detail: "a staff member's entry is the municipality's HR record: end the memberships; erasure covers children's and parents' entries registered in error" });
  }
  const links: string[] = [];
  if (person.kind === 'child') {
    const guardians = (await deps.relations.guardiansOf(person._id)).length;
    const placed = (await deps.placements.placementHistory(person._id)).length;
    if (guardians > 0) links.push(`${guardians} guardianship(s)`);
    if (placed > 0) links.push(`${placed} placement(s)`);
  } else {
    const children = await deps.relations.countChildrenOf(person._id);
    if (children > 0) links.push(`${children} guardianship(s)`);
  }
  if (links.length > 0) throw conflict('PERSON_IN_USE', `the entry is in use (${links.join(', ')}); an entry in use leaves by its retention period (GET /retention-policies)`);
  const retainedFrom = person.registeredAt ?? now;
  return person.kind === 'child'
    ? { kind: IDENTITY_RECORD_KINDS.child, candidate: { id: person._id, municipalityId: person.municipalityId, childId: person._id, retainedFrom, record: childRecord(person, [], []) } }
    : { kind: IDENTITY_RECORD_KINDS.parent, candidate: { id: person._id, municipalityId: person.municipalityId, retainedFrom, record: parentRecord(person) } };
}

/** identity's retained kinds: children's and parents' entries in the directory. */
export function identityRetention(deps: {
  persons: PersonRepository;
  relations: RelationRepository;
  placements: Pick<DirectoryView, 'everyPlacement' | 'placementHistory' | 'forgetPerson'>;
  sessions: SessionStore;
  factory: EventFactory;
  clock: () => Date;
}): RetainedKind[] {
  const { persons, relations, placements, sessions, factory, clock } = deps;
  /**
   * dk.spor.identity.person.removed.v1 on the person's own topic and key, after its registration:
   * every directory projection drops the person, and a replay from the start ends without it.
   */
  const removed = async (candidate: RetentionCandidate): Promise<SporEvent[]> => {
    const person = await persons.get(candidate.id);
    if (!person) return [];
    return [factory.create(PERSON_REMOVED, { subject: person._id, municipalityId: person.municipalityId, aggregateVersion: person.version + 1, data: { personId: person._id, kind: person.kind } })];
  };

  const child: RetainedKind = {
    kind: IDENTITY_RECORD_KINDS.child,
    description:
      "the child's entry in the directory (name, birth year and month, the sealed CPR number) and its parents' relations to it, counted from the day after the child's last placement in the municipality ended (a child never placed: from the month it turns 7)",
    // As long as the longest kind of record another service keeps about the child (action plans),
    // so a parent can see those records for as long as they exist.
    defaultDays: 5 * YEAR_DAYS,
    publicRecord: false,
    // Its record is the reduced entry the archive keeps (no name, no CPR number: docs/data-protection.md).
    archives: 'record',
    async candidates(startedBy) {
      const byChild = new Map<string, { from: string; to: string | null }[]>();
      for (const p of await placements.everyPlacement()) byChild.set(p.childId, [...(byChild.get(p.childId) ?? []), p]);
      const candidates: RetentionCandidate[] = [];
      for (const c of await persons.allOfKind('child')) {
        const retainedFrom = childClockStart(c, byChild.get(c._id) ?? []);
        if (!retainedFrom || retainedFrom > startedBy || c.hasPending) continue;
        candidates.push({ id: c._id, municipalityId: c.municipalityId, childId: c._id, retainedFrom, record: childRecord(c, byChild.get(c._id) ?? [], await relations.guardiansOf(c._id)) });
      }
      return candidates;
    },
    async ofChild(childId) {
      const c = await persons.get(childId);
      if (c?.kind !== 'child') return [];
      return [{ id: c._id, retainedFrom: childClockStart(c, await placements.placementHistory(childId)) }];
    },
    async dispose(childId) {
      // Placed again since the sweep chose it (as far as identity's projection knows): it stays.
      const c = await persons.get(childId);
      if (c?.kind === 'child' && childClockStart(c, await placements.placementHistory(childId)) === null) return 'kept';
      // Parents left with no child start their clock first: a crash after the guardianships are
      // gone would otherwise leave them with none. Repeating this after a crash only moves it.
      const at = clock();
      for (const g of await relations.guardiansOf(childId)) {
        if ((await relations.countChildrenOf(g.parentId)) <= 1) await persons.markUnlinked(g.parentId, at);
      }
      await relations.removeGuardianshipsOf(childId);
      await persons.remove(childId);
      // identity's own projection of the child's placements (other services' follow the event).
      await placements.forgetPerson(childId, 'child');
      return 'deleted';
    },
    announce: removed,
  };

  const parent: RetainedKind = {
    kind: IDENTITY_RECORD_KINDS.parent,
    description: "a parent's entry in the directory (name, the sealed CPR number), counted from the day the last child it was a parent of left the directory (a parent never linked to a child: from its registration)",
    defaultDays: 30,
    publicRecord: false,
    archives: 'record',
    async candidates(startedBy) {
      const candidates: RetentionCandidate[] = [];
      // One read for every parent's links, not one per parent (dispose counts again, exactly).
      const linked = await relations.linkedParents();
      for (const p of await persons.allOfKind('parent')) {
        const isLinked = linked.has(p._id);
        // An old entry never linked has no clock yet: it starts now (domain/person-retention.ts).
        if (!isLinked && !p.unlinkedAt && !p.registeredAt && !p.retentionSeenAt) await persons.markSeenByRetention(p._id, clock());
        const retainedFrom = parentClockStart(p, isLinked ? 1 : 0);
        if (!retainedFrom || retainedFrom > startedBy || p.hasPending) continue;
        candidates.push({ id: p._id, municipalityId: p.municipalityId, retainedFrom, record: parentRecord(p) });
      }
      return candidates;
    },
    // A parent's entry is not a record about a child.
    ofChild: async () => [],
    async dispose(parentId) {
      // Linked to a child again since the sweep chose it: it stays (its clock stops).
      if ((await relations.countChildrenOf(parentId)) > 0) return 'kept';
      await sessions.endAllOf(parentId);
      await persons.remove(parentId);
      return 'deleted';
    },
    announce: removed,
  };

  return [child, parent];
}
