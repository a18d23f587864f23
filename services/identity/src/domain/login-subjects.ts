// Who a login is: a citizen by the CPR number in the ID token (a parent in the directory, with
// the children in custody), a staff member by the IdP's user id (the person's externalId, with
// the roles of their open memberships). Anyone else is refused with 403, never a 500.
import type { IDToken } from 'openid-client';
import { forbidden } from '@spor/service-kit';
import { parseCpr } from './cpr.js';
import { todayIso } from './calendar.js';
import type { CprVault } from './cpr-vault.js';
import type { TokenSubject } from './access-token.js';
import type { PersonRepository } from '../store/person-repository.js';
import type { RelationRepository } from '../store/relation-repository.js';

export function citizenResolver(cprClaim: string, vault: CprVault, persons: PersonRepository, relations: RelationRepository) {
  return async (claims: IDToken): Promise<Omit<TokenSubject, 'acr'>> => {
    const parsed = parseCpr(String(claims[cprClaim] ?? ''));
    const person = parsed.ok ? await persons.findByCprHash(vault.lookupHash(parsed.cpr)) : null;
    if (!person || person.kind !== 'parent') throw forbidden('this MitID login is not a parent known to Spor; ask the municipality to register you', 'UNKNOWN_CITIZEN');
    return { personId: person._id, kind: 'parent', municipalityId: person.municipalityId, roles: [], children: await relations.childrenInCustody(person._id) };
  };
}

export function staffResolver(userIdClaim: string, persons: PersonRepository, relations: RelationRepository) {
  return async (claims: IDToken): Promise<Omit<TokenSubject, 'acr'>> => {
    const userId = claims[userIdClaim];
    const person = typeof userId === 'string' ? await persons.findStaffByExternalId(userId) : null;
    if (!person) throw forbidden(`this login (${userIdClaim}) is not a staff member known to Spor; ask the municipality's administrator`, 'UNKNOWN_STAFF');
    const today = todayIso();
    const roles = (await relations.membershipsOf(person._id)).filter((m) => m.from <= today && (!m.to || m.to >= today)).map((m) => ({ role: m.role, unitId: m.unitId }));
    if (roles.length === 0) throw forbidden('you hold no role in any unit now', 'NO_CURRENT_ROLE');
    return { personId: person._id, kind: 'staff', municipalityId: person.municipalityId, roles };
  };
}
