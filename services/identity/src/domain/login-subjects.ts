// Who a login is: a citizen by the CPR number in the ID token (a parent in the directory, with
// the children in custody), a staff member by the IdP's user id (the person's externalId, with
// the roles of their open memberships). Anyone else is refused with 403, never a 500.
// A session's later access tokens are built from the directory again (`subjectOfPerson`), so a
// custody or a role that ended stops showing in the next token, not at the next login.
import type { IDToken } from 'openid-client';
import { forbidden } from '@spor/service-kit';
import type { Stored } from '@spor/events';
import { parseCpr } from './cpr.js';
import { todayIso } from './calendar.js';
import type { CprVault } from './cpr-vault.js';
import type { Person } from './person.js';
import type { TokenSubject } from './access-token.js';
import type { PersonRepository } from '../store/person-repository.js';
import type { RelationRepository } from '../store/relation-repository.js';

export type LoginSubject = Omit<TokenSubject, 'acr'>;

export function subjectOfPerson(relations: RelationRepository) {
  return async (person: Stored<Person>, kind: 'citizen' | 'staff'): Promise<LoginSubject> => {
    if (kind === 'citizen') {
      if (person.kind !== 'parent') throw forbidden('this MitID login is not a parent known to Spor; ask the municipality to register you', 'UNKNOWN_CITIZEN');
      return { personId: person._id, kind: 'parent', municipalityId: person.municipalityId, roles: [], children: await relations.childrenInCustody(person._id) };
    }
    if (person.kind !== 'staff') throw forbidden('this login is not a staff member known to Spor', 'UNKNOWN_STAFF');
    const today = todayIso();
    const roles = (await relations.membershipsOf(person._id)).filter((m) => m.from <= today && (!m.to || m.to >= today)).map((m) => ({ role: m.role, unitId: m.unitId }));
    if (roles.length === 0) throw forbidden('you hold no role in any unit now', 'NO_CURRENT_ROLE');
    return { personId: person._id, kind: 'staff', municipalityId: person.municipalityId, roles };
  };
}

export function citizenResolver(cprClaim: string, vault: CprVault, persons: PersonRepository, relations: RelationRepository) {
  const subjectOf = subjectOfPerson(relations);
  return async (claims: IDToken): Promise<LoginSubject> => {
    const parsed = parseCpr(String(claims[cprClaim] ?? ''));
    const person = parsed.ok ? await persons.findByCprHash(vault.lookupHash(parsed.cpr)) : null;
    if (!person) throw forbidden('this MitID login is not a parent known to Spor; ask the municipality to register you', 'UNKNOWN_CITIZEN');
    return subjectOf(person, 'citizen');
  };
}

export function staffResolver(userIdClaim: string, persons: PersonRepository, relations: RelationRepository) {
  const subjectOf = subjectOfPerson(relations);
  return async (claims: IDToken): Promise<LoginSubject> => {
    const userId = claims[userIdClaim];
    const person = typeof userId === 'string' ? await persons.findStaffByExternalId(userId) : null;
    if (!person) throw forbidden(`this login (${userIdClaim}) is not a staff member known to Spor; ask the municipality's administrator`, 'UNKNOWN_STAFF');
    return subjectOf(person, 'staff');
  };
}
