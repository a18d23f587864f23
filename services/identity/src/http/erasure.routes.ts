// POST /admin/persons/{personId}/erasure: a child's or parent's entry registered in error (a
// wrong CPR number typed, an import gone astray) leaves at once, before anything links it. It goes
// the way retention takes entries (libs/privacy: archived, deleted, logged, published with
// dk.spor.identity.person.removed.v1), so every service's directory drops it too. An entry that
// is linked (guardianship, placement) is refused: it leaves by its retention period.
import type { Router } from 'express';
import { principalOf, requireRole } from '@spor/auth';
import type { AuditLog } from '@spor/audit';
import type { DirectoryView } from '@spor/directory';
import type { Retention } from '@spor/privacy';
import { auditPurposeText, conflict, validated, z } from '@spor/service-kit';
import { erasureOf } from '../privacy.js';
import type { PersonRepository } from '../store/person-repository.js';
import type { RelationRepository } from '../store/relation-repository.js';
import { aboutChild } from './person.routes.js';
import { inMunicipality } from './resources.js';

/** The purpose of the disposal's own audit entries (the administrator's reason is in theirs). */
export const ERASURE_PURPOSE = 'registered-in-error';

const reason = auditPurposeText();

export function erasureRoutes(
  router: Router,
  deps: { persons: PersonRepository; relations: RelationRepository; placements: Pick<DirectoryView, 'placementHistory'>; retention: Retention; audit: AuditLog; clock: () => Date },
): void {
  router.post(
    '/admin/persons/:personId/erasure',
    requireRole('system-administrator'),
    validated({ params: z.object({ personId: z.uuid() }), body: z.strictObject({ reason }) }, async ({ params, body }, req, res) => {
      const principal = principalOf(req);
      const person = inMunicipality(req, 'person', params.personId, await deps.persons.get(params.personId));
      const { kind, candidate } = await erasureOf(person, deps, deps.clock());
      // An entry registered a moment ago may still have its registration on the way to Kafka; its
      // removal must not overtake it (nor may the entry go with the event unsent). The relay
      // publishes within moments: wait for it, briefly.
      for (let waited = 0; await deps.persons.hasUnpublished(person._id); waited += 100) {
        if (waited >= 5_000) throw conflict('EVENTS_PENDING', `the registration of ${person._id} is still being published; try again in a moment`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Logged before anything goes, with the administrator's reason, like a CPR read.
      await deps.audit.record(principal, { action: 'erase', recordType: 'person', recordId: person._id, ...aboutChild(person), purpose: body.reason });
      const disposal = await deps.retention.disposeNow(kind, candidate, ERASURE_PURPOSE);
      res.json({ personId: person._id, recordKind: kind, disposal });
    }),
  );
}
