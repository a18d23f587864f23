// Internal calls from other Spor services, with client-credentials tokens (never a browser).
// `POST /internal/person-lookups` maps CPR numbers from municipal IT's files (enrollment
// imports in transitions) to pseudonymous person ids, so no other service stores a CPR number.
// Each call is audited with the calling service and its stated purpose.
import type { Router } from 'express';
import { auditPurposeText, validated, z } from '@spor/service-kit';
import { PERSON_LOOKUP_MAX, principalOf, requireScope } from '@spor/auth';
import { parseCpr } from '../domain/cpr.js';
import type { CprVault } from '../domain/cpr-vault.js';
import type { PersonRepository } from '../store/person-repository.js';
import type { AuditLog } from '@spor/audit';

export const PERSON_LOOKUP_SCOPE = 'persons:lookup';

export function internalRoutes(router: Router, persons: PersonRepository, vault: CprVault, audit: AuditLog): void {
  router.post(
    '/internal/person-lookups',
    requireScope(PERSON_LOOKUP_SCOPE),
    validated({ body: z.strictObject({ purpose: auditPurposeText(), cprs: z.array(z.string().max(20)).min(1).max(PERSON_LOOKUP_MAX) }) }, async ({ body }, req, res) => {
      const items = await Promise.all(
        body.cprs.map(async (raw) => {
          const parsed = parseCpr(raw);
          if (!parsed.ok) return null;
          const person = await persons.findByCprHash(vault.lookupHash(parsed.cpr));
          return person ? { personId: person._id, kind: person.kind, municipalityId: person.municipalityId } : null;
        }),
      );
      await audit.record(principalOf(req), { action: 'lookup-cpr', recordType: 'person', recordId: null, purpose: `${body.purpose} (${body.cprs.length} CPR numbers)` });
      res.set('cache-control', 'no-store').json({ items });
    }),
  );
}
