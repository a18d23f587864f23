// Applies a checked import file in dependency order; every step is idempotent.
import { randomUUID } from 'node:crypto';
import type { Stored } from '@spor/events';
import { createOrgUnit, type OrgUnit } from './org-unit.js';
import { buildPerson, type Person } from './person.js';
import type { Cpr } from './cpr.js';
import type { CprVault } from './cpr-vault.js';
import { unitsInTreeOrder, type ImportFile } from './directory-import.js';
import type { ImportCounts } from '../store/import-jobs.js';

export interface ImportTargets {
  unitByExternalId(municipalityId: string, externalId: string): Promise<Stored<OrgUnit> | null>;
  createUnit(id: string, unit: OrgUnit): Promise<Stored<OrgUnit>>;
  personByCprHash(hash: string): Promise<Stored<Person> | null>;
  registerPerson(id: string, person: Person): Promise<Stored<Person>>;
  grant(m: { personId: string; unitId: string; role: string; municipalityId: string; from: string }): Promise<{ changed: boolean }>;
  registerGuardianship(g: { parentId: string; childId: string; custody: boolean; municipalityId: string }): Promise<{ changed: boolean }>;
}

const zero = () => ({ created: 0, unchanged: 0 });

export async function applyImport(file: ImportFile, municipalityId: string, cprs: Map<string, Cpr>, vault: CprVault, to: ImportTargets, today: string): Promise<ImportCounts> {
  const counts: ImportCounts = { units: zero(), persons: zero(), memberships: zero(), guardianships: zero() };
  const count = (section: keyof ImportCounts, changed: boolean) => counts[section][changed ? 'created' : 'unchanged']++;

  for (const u of unitsInTreeOrder(file.units)) {
    if (await to.unitByExternalId(municipalityId, u.externalId)) {
      count('units', false);
      continue;
    }
    const parent = u.parentExternalId ? await to.unitByExternalId(municipalityId, u.parentExternalId) : null;
    const unit = createOrgUnit(
      { kind: u.kind, name: u.name, parentId: parent?._id ?? null, municipalityCode: u.municipalityCode, institutionType: u.institutionType, externalId: u.externalId },
      parent,
    );
    await to.createUnit(randomUUID(), unit);
    count('units', true);
  }

  // Only this municipality's persons are linked. The check refused the others; one registered
  // elsewhere since (a job finished later) fails the attempt rather than linking across.
  const ownPerson = async (raw: string) => {
    const person = await to.personByCprHash(vault.lookupHash(cprs.get(raw)!));
    if (person && person.municipalityId !== municipalityId) throw new Error(`person ${person._id} of the import is registered in another municipality since the file was checked`);
    return person;
  };
  const personId = async (raw: string) => (await ownPerson(raw))?._id;
  for (const p of file.persons) {
    const cpr = cprs.get(p.cpr)!;
    if (await ownPerson(p.cpr)) {
      count('persons', false);
      continue;
    }
    const id = randomUUID();
    await to.registerPerson(id, buildPerson(id, cpr, p, municipalityId, vault));
    count('persons', true);
  }

  for (const m of file.memberships) {
    const unit = await to.unitByExternalId(municipalityId, m.unitExternalId);
    const { changed } = await to.grant({ personId: (await personId(m.cpr))!, unitId: unit!._id, role: m.role, municipalityId, from: m.from ?? today });
    count('memberships', changed);
  }
  for (const g of file.guardianships) {
    const { changed } = await to.registerGuardianship({ parentId: (await personId(g.parentCpr))!, childId: (await personId(g.childCpr))!, custody: g.custody, municipalityId });
    count('guardianships', changed);
  }
  return counts;
}
