// identity in parents' insight and the data-protection officer's export (docs/data-protection.md).
// identity owns the directory, so the privacy routes of libs/privacy ask identity's own records
// who the child is, who holds custody and where a unit sits, instead of a DirectoryView.
//
// What identity keeps about a child: the person record (names, birth year and month, the CPR
// number sealed and as a lookup hash) and the guardianships (who is a parent of the child, with
// or without custody). Children hold no memberships and do not log in (no sessions). No retention
// kinds yet: how long a child's directory record is kept after it leaves the municipality is the
// municipality's decision to make (docs/data-protection.md, "Not yet").
import type { AuditEntry, AuditLog } from '@spor/audit';
import { hasRole, type Principal } from '@spor/auth';
import type { ChildDataSource, ChildRelations, RecordsByKind } from '@spor/privacy';
import type { CprVault } from './domain/cpr-vault.js';
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
