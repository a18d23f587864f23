// Admin API for the organisation tree, for the municipality's system administrators.
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import { AppError, conflict, setVersionTag, validated, versionToChange, writeAtVersion, z } from '@spor/service-kit';
import { principalOf, requireRole } from '@spor/auth';
import { INSTITUTION_TYPES, UNIT_EXTERNAL_ID, UNIT_KINDS, changeOrgUnit, createOrgUnit } from '../domain/org-unit.js';
import { inMunicipality, toResource } from './resources.js';
import { UNIT_KEY, type OrgUnitRepository } from '../store/org-unit-repository.js';

const unitBody = z.strictObject({
  kind: z.enum(UNIT_KINDS),
  name: z.string().trim().min(1).max(200),
  parentId: z.uuid().nullable(),
  municipalityCode: z.string().regex(/^[0-9]{3}$/, { error: 'must be a three-digit kommunekode' }).optional(),
  institutionType: z.enum(INSTITUTION_TYPES).optional(),
  externalId: z.string().regex(UNIT_EXTERNAL_ID).optional(),
});
const unitParams = z.object({ unitId: z.uuid() });
const unitChange = z
  .strictObject({
    name: unitBody.shape.name.optional(),
    parentId: z.uuid().optional(),
    institutionType: z.enum(INSTITUTION_TYPES).optional(),
    externalId: unitBody.shape.externalId,
  })
  .refine((change) => Object.keys(change).length > 0, { error: 'name at least one of name, parentId, institutionType, externalId' });

export function orgUnitRoutes(router: Router, units: OrgUnitRepository): void {
  const admin = requireRole('system-administrator');

  router.post(
    '/admin/org-units',
    admin,
    validated({ body: unitBody }, async ({ body }, req, res) => {
      const principal = principalOf(req);
      const parent = body.parentId ? inMunicipality(req, 'organisation unit', body.parentId, await units.get(body.parentId)) : null;
      const unit = createOrgUnit(body, parent);
      if (unit.municipalityId !== principal.municipalityId) {
        throw new AppError({ status: 403, code: 'OTHER_MUNICIPALITY', title: 'Forbidden', detail: `you administer municipality ${principal.municipalityId}, not ${unit.municipalityId}` });
      }
      // An import finds units by their externalId: two with one id would leave it to chance which.
      const holder = unit.externalId ? await units.byExternalId(unit.municipalityId, unit.externalId) : null;
      if (holder) throw conflict('EXTERNAL_ID_TAKEN', `externalId ${unit.externalId} belongs to unit ${holder._id} already`);
      const id = randomUUID();
      const stored = await units.create(id, unit);
      res.status(201).location(`/admin/org-units/${id}`).json(toResource(stored, [UNIT_KEY]));
    }),
  );

  router.get(
    '/admin/org-units/:unitId',
    admin,
    validated({ params: unitParams }, async ({ params }, req, res) => {
      const unit = inMunicipality(req, 'organisation unit', params.unitId, await units.get(params.unitId));
      setVersionTag(res, unit.version);
      res.json(toResource(unit, [UNIT_KEY]));
    }),
  );

  // Rename, re-type or move a unit (a group to another institution, an institution to another
  // district). Memberships stay with the unit; consumers learn of the move by orgunit.changed.
  router.patch(
    '/admin/org-units/:unitId',
    admin,
    validated({ params: unitParams, body: unitChange }, async ({ params, body }, req, res) => {
      const unit = inMunicipality(req, 'organisation unit', params.unitId, await units.get(params.unitId));
      const version = versionToChange(req, unit.version);
      if (body.externalId !== undefined && body.externalId !== unit.externalId) {
        const holder = await units.byExternalId(unit.municipalityId, body.externalId);
        if (holder) throw conflict('EXTERNAL_ID_TAKEN', `externalId ${body.externalId} belongs to unit ${holder._id} already`);
      }
      const newParent = body.parentId !== undefined && body.parentId !== unit.parentId ? inMunicipality(req, 'organisation unit', body.parentId, await units.get(body.parentId)) : null;
      const changed = await writeAtVersion(req, () => units.change(unit, version, changeOrgUnit(unit, body, newParent)));
      setVersionTag(res, changed.version);
      res.json(toResource(changed, [UNIT_KEY]));
    }),
  );

  router.post(
    '/admin/org-units/:unitId/close',
    admin,
    validated({ params: unitParams, body: z.strictObject({ closedOn: z.iso.date() }) }, async ({ params, body }, req, res) => {
      const unit = inMunicipality(req, 'organisation unit', params.unitId, await units.get(params.unitId));
      const open = (await units.children(unit._id)).filter((child) => !child.closedOn);
      if (open.length > 0) throw conflict('UNIT_HAS_OPEN_CHILDREN', `close its ${open.length} open unit(s) first: ${open.map((c) => c._id).join(', ')}`);
      res.json(toResource(await units.close(unit, body.closedOn), [UNIT_KEY]));
    }),
  );

  router.get(
    '/admin/org-units/:unitId/children',
    admin,
    validated({ params: unitParams }, async ({ params }, req, res) => {
      inMunicipality(req, 'organisation unit', params.unitId, await units.get(params.unitId));
      res.json({ items: (await units.children(params.unitId)).map((u) => toResource(u, [UNIT_KEY])) });
    }),
  );
}
