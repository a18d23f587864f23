// People in the directory: children, parents and staff. The CPR number is held only sealed
// (and as a keyed lookup hash); everything outside identity knows a person by a pseudonymous
// id, the kind, and at most the birth year and month.
import { AppError } from '@spor/service-kit';
import { birthYearMonth, parseCpr, type Cpr } from './cpr.js';
import type { CprVault } from './cpr-vault.js';

export const PERSON_KINDS = ['child', 'parent', 'staff'] as const;
/** A person's id in the municipality's systems; for staff, the user id their IdP logs them in with (often an e-mail address). */
export const PERSON_EXTERNAL_ID = /^[A-Za-z0-9._:@+-]{1,120}$/;
export type PersonKind = (typeof PERSON_KINDS)[number];

export interface Person {
  kind: PersonKind;
  municipalityId: string;
  givenName: string;
  familyName: string;
  birthYear: number;
  birthMonth: number;
  /** AES-256-GCM sealed CPR number, bound to the person id. */
  sealedCpr: string;
  /** `<key id>:<HMAC>` of the CPR number, unique: one person per CPR number. */
  cprHash: string;
  externalId?: string;
  /** When identity registered the entry (absent on entries older than 2026-12). */
  registeredAt?: Date;
  /** A parent's: when the last child it was linked to left the directory (its retention clock). */
  unlinkedAt?: Date;
  /**
   * A parent's only, registered before `registeredAt` existed and never linked: when the
   * retention sweep first found it with no clock. Its clock counts from then.
   */
  retentionSeenAt?: Date;
}

export interface NewPerson {
  kind: PersonKind;
  cpr: string;
  givenName: string;
  familyName: string;
  externalId?: string;
}

/** Checks the CPR number of a new person; a bad one is a 422 naming the field and the problem. */
export function validCprOf(input: NewPerson, today = new Date()): Cpr {
  const parsed = parseCpr(input.cpr, today);
  if (!parsed.ok) {
    throw new AppError({
      status: 422,
      code: parsed.problem.code,
      title: 'The CPR number is not valid',
      detail: `cpr: ${parsed.problem.message}`,
      errors: [{ in: 'body', field: 'cpr', message: parsed.problem.message, code: parsed.problem.code }],
    });
  }
  return parsed.cpr;
}

export function birthOf(cpr: Cpr): { birthYear: number; birthMonth: number } {
  return birthYearMonth(cpr);
}

/** A person record for id `id`: the CPR number sealed to that id and hashed for lookup, never kept in clear. */
export function buildPerson(id: string, cpr: Cpr, input: Omit<NewPerson, 'cpr'>, municipalityId: string, vault: CprVault): Person {
  return {
    kind: input.kind,
    municipalityId,
    givenName: input.givenName,
    familyName: input.familyName,
    ...birthOf(cpr),
    sealedCpr: vault.encrypt(cpr, id),
    cprHash: vault.lookupHash(cpr),
    ...(input.externalId ? { externalId: input.externalId } : {}),
  };
}
