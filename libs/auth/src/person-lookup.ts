// Identity's person lookup by CPR number (POST /internal/person-lookups, scope persons:lookup),
// for services that import files naming children by CPR: identity maps them and audits the
// lookup, and the caller keeps only the ids. One client, so the limit identity enforces and the
// splitting of a larger file into parts are written once.
import type { ServiceTokenClient } from './service-token-client.js';

/** The most CPR numbers identity answers in one lookup; identity refuses more (400). */
export const PERSON_LOOKUP_MAX = 5_000;

export interface LookedUpPerson {
  personId: string;
  kind: string;
  municipalityId: string;
}

/** The person behind each CPR number, in order (null: none), asked in parts of PERSON_LOOKUP_MAX. */
export async function lookUpPersonsByCpr(identity: Pick<ServiceTokenClient, 'postJson'>, purpose: string, cprs: string[]): Promise<(LookedUpPerson | null)[]> {
  const found: (LookedUpPerson | null)[] = [];
  for (let i = 0; i < cprs.length; i += PERSON_LOOKUP_MAX) {
    const part = await identity.postJson<{ items: (LookedUpPerson | null)[] }>('/internal/person-lookups', { purpose, cprs: cprs.slice(i, i + PERSON_LOOKUP_MAX) });
    found.push(...part.items);
  }
  return found;
}
