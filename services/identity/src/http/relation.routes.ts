// Admin API for memberships (staff roles in units) and guardianship (parent–child, custody).
import type { Router } from 'express';
import { validated, z } from '@spor/service-kit';
import { STAFF_ROLES, principalOf, requireRole } from '@spor/auth';
import type { AuditLog } from '@spor/audit';
import { todayIso } from '../domain/calendar.js';
import { inMunicipality, toResource } from './resources.js';
import { aboutChild } from './person.routes.js';
import { checkGuardianship, checkMembership } from '../domain/relations.js';
import type { PersonRepository } from '../store/person-repository.js';
import type { OrgUnitRepository } from '../store/org-unit-repository.js';
import type { RelationRepository } from '../store/relation-repository.js';

export function relationRoutes(router: Router, persons: PersonRepository, units: OrgUnitRepository, relations: RelationRepository, audit: AuditLog): void {
  const admin = requireRole('system-administrator');

  router.post(
    '/admin/memberships',
    admin,
    validated(
      { body: z.strictObject({ personId: z.uuid(), unitId: z.uuid(), role: z.enum(STAFF_ROLES), from: z.iso.date().optional() }) },
      async ({ body }, req, res) => {
        const person = inMunicipality(req, 'person', body.personId, await persons.get(body.personId));
        const unit = inMunicipality(req, 'organisation unit', body.unitId, await units.get(body.unitId));
        checkMembership(person, unit, body.role);
        const { membership, changed } = await relations.grant({ personId: person._id, unitId: unit._id, role: body.role, municipalityId: unit.municipalityId, from: body.from ?? todayIso() });
        res.status(changed ? 201 : 200).json(toResource(membership));
      },
    ),
  );

  router.post(
    '/admin/memberships/:membershipId/end',
    admin,
    validated({ params: z.object({ membershipId: z.string().regex(/^[0-9a-f-]{36}:[0-9a-f-]{36}:[a-z-]+$/) }), body: z.strictObject({ to: z.iso.date().optional() }) }, async ({ params, body }, req, res) => {
      // Checked before anything is written: another municipality's membership stays untouched.
      const membership = inMunicipality(req, 'membership', params.membershipId, await relations.getMembership(params.membershipId));
      res.json(toResource(await relations.end(membership, body.to ?? todayIso())));
    }),
  );

  router.get(
    '/admin/persons/:personId/memberships',
    admin,
    validated({ params: z.object({ personId: z.uuid() }) }, async ({ params }, req, res) => {
      inMunicipality(req, 'person', params.personId, await persons.get(params.personId));
      res.json({ items: (await relations.membershipsOf(params.personId)).map((r) => toResource(r)) });
    }),
  );

  router.put(
    '/admin/guardianships',
    admin,
    validated({ body: z.strictObject({ parentId: z.uuid(), childId: z.uuid(), custody: z.boolean() }) }, async ({ body }, req, res) => {
      const parent = inMunicipality(req, 'person', body.parentId, await persons.get(body.parentId));
      const child = inMunicipality(req, 'person', body.childId, await persons.get(body.childId));
      checkGuardianship(parent, child);
      const { guardianship, changed } = await relations.registerGuardianship({ parentId: parent._id, childId: child._id, custody: body.custody, municipalityId: child.municipalityId });
      // Custody decides who sees the child's records: every registration or change is in the child's access log.
      if (changed) await audit.record(principalOf(req), { action: guardianship.version === 1 ? 'create' : 'change', recordType: 'guardianship', recordId: guardianship._id, childId: child._id });
      // 201 only when the relation is new; a change of custody is an update.
      res.status(changed && guardianship.version === 1 ? 201 : 200).json(toResource(guardianship));
    }),
  );

  router.get(
    '/admin/persons/:personId/guardians',
    admin,
    validated({ params: z.object({ personId: z.uuid() }) }, async ({ params }, req, res) => {
      const person = inMunicipality(req, 'person', params.personId, await persons.get(params.personId));
      await audit.record(principalOf(req), { action: 'read', recordType: 'guardianship', recordId: person._id, ...aboutChild(person) });
      res.json({ items: (await relations.guardiansOf(params.personId)).map((r) => toResource(r)) });
    }),
  );
}
