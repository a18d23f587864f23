// Admin API for memberships (staff roles in units) and guardianship (parent–child, custody).
import type { Request, Router } from 'express';
import { notFound, validated, z } from '@spor/service-kit';
import { STAFF_ROLES, principalOf, requireRole } from '@spor/auth';
import type { Stored } from '@spor/events';
import { checkGuardianship, checkMembership } from '../domain/relations.js';
import type { PersonRepository } from '../store/person-repository.js';
import type { OrgUnitRepository } from '../store/org-unit-repository.js';
import type { RelationRepository } from '../store/relation-repository.js';

const today = () => new Date().toISOString().slice(0, 10);

export function relationRoutes(router: Router, persons: PersonRepository, units: OrgUnitRepository, relations: RelationRepository): void {
  const admin = requireRole('system-administrator');

  // Everything an administrator touches must belong to their municipality; anything else is "not found".
  async function own<T extends { municipalityId: string }>(req: Request, what: string, id: string, load: (id: string) => Promise<Stored<T> | null>): Promise<Stored<T>> {
    const found = await load(id);
    if (!found || found.municipalityId !== principalOf(req).municipalityId) throw notFound(`${what} ${id}`);
    return found;
  }

  router.post(
    '/admin/memberships',
    admin,
    validated(
      { body: z.strictObject({ personId: z.uuid(), unitId: z.uuid(), role: z.enum(STAFF_ROLES), from: z.iso.date().optional() }) },
      async ({ body }, req, res) => {
        const person = await own(req, 'person', body.personId, (id) => persons.get(id));
        const unit = await own(req, 'organisation unit', body.unitId, (id) => units.get(id));
        checkMembership(person, unit, body.role);
        const { membership, changed } = await relations.grant({ personId: person._id, unitId: unit._id, role: body.role, municipalityId: unit.municipalityId, from: body.from ?? today() });
        res.status(changed ? 201 : 200).json(toJson(membership));
      },
    ),
  );

  router.post(
    '/admin/memberships/:membershipId/end',
    admin,
    validated({ params: z.object({ membershipId: z.string().regex(/^[0-9a-f-]{36}:[0-9a-f-]{36}:[a-z-]+$/) }), body: z.strictObject({ to: z.iso.date().optional() }) }, async ({ params, body }, req, res) => {
      const membership = await relations.end(params.membershipId, body.to ?? today());
      if (!membership || membership.municipalityId !== principalOf(req).municipalityId) throw notFound(`membership ${params.membershipId}`);
      res.json(toJson(membership));
    }),
  );

  router.get(
    '/admin/persons/:personId/memberships',
    admin,
    validated({ params: z.object({ personId: z.uuid() }) }, async ({ params }, req, res) => {
      await own(req, 'person', params.personId, (id) => persons.get(id));
      res.json({ items: (await relations.membershipsOf(params.personId)).map(toJson) });
    }),
  );

  router.put(
    '/admin/guardianships',
    admin,
    validated({ body: z.strictObject({ parentId: z.uuid(), childId: z.uuid(), custody: z.boolean() }) }, async ({ body }, req, res) => {
      const parent = await own(req, 'person', body.parentId, (id) => persons.get(id));
      const child = await own(req, 'person', body.childId, (id) => persons.get(id));
      checkGuardianship(parent, child);
      const { guardianship, changed } = await relations.registerGuardianship({ parentId: parent._id, childId: child._id, custody: body.custody, municipalityId: child.municipalityId });
      res.status(changed ? 201 : 200).json(toJson(guardianship));
    }),
  );

  router.get(
    '/admin/persons/:personId/guardians',
    admin,
    validated({ params: z.object({ personId: z.uuid() }) }, async ({ params }, req, res) => {
      await own(req, 'person', params.personId, (id) => persons.get(id));
      res.json({ items: (await relations.guardiansOf(params.personId)).map(toJson) });
    }),
  );
}

function toJson<T extends object>(doc: Stored<T>) {
  const { _id, version, ...rest } = doc;
  return { id: _id, version, ...rest };
}
