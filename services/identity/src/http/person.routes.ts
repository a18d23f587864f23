// Admin API for persons. A CPR number goes in once, at registration, and comes out only
// through an audited read that states its purpose; it never appears in a URL or a response
// other than that read.
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import { auditPurposeText, notFound, setVersionTag, validated, versionToChange, writeAtVersion, z } from '@spor/service-kit';
import { principalOf, requireRole } from '@spor/auth';
import type { Stored } from '@spor/events';
import { PERSON_EXTERNAL_ID, PERSON_KINDS, buildPerson, validCprOf, type Person } from '../domain/person.js';
import type { CprVault } from '../domain/cpr-vault.js';
import type { Cpr } from '../domain/cpr.js';
import { STAFF_LOGIN, loginHolder, loginTaken, type PersonRepository } from '../store/person-repository.js';
import type { AuditLog } from '@spor/audit';
import { inMunicipality, toResource } from './resources.js';

const personParams = z.object({ personId: z.uuid() });
const name = z.string().trim().min(1).max(200);
const purpose = auditPurposeText();

export function personRoutes(router: Router, persons: PersonRepository, vault: CprVault, audit: AuditLog): void {
  const admin = requireRole('system-administrator');

  router.post(
    '/admin/persons',
    admin,
    validated(
      {
        body: z.strictObject({
          kind: z.enum(PERSON_KINDS),
          cpr: z.string().max(20),
          givenName: name,
          familyName: name,
          externalId: z.string().regex(PERSON_EXTERNAL_ID).optional(),
        }),
      },
      async ({ body }, req, res) => {
        const principal = principalOf(req);
        const cpr = validCprOf(body);
        const id = randomUUID();
        const stored = await persons.register(id, buildPerson(id, cpr, body, principal.municipalityId, vault));
        await audit.record(principal, { action: 'create', recordType: 'person', recordId: id, ...aboutChild(stored) });
        res.status(201).location(`/admin/persons/${id}`).json(toJson(stored));
      },
    ),
  );

  router.get(
    '/admin/persons/:personId',
    admin,
    validated({ params: personParams }, async ({ params }, req, res) => {
      const person = inMunicipality(req, 'person', params.personId, await persons.get(params.personId));
      await audit.record(principalOf(req), { action: 'read', recordType: 'person', recordId: person._id, ...aboutChild(person) });
      setVersionTag(res, person.version);
      res.json(toJson(person));
    }),
  );

  // Names and the login id change (marriage, a new e-mail address); the CPR number and kind
  // do not: a wrong one means registering the right person. Nothing here is in any event.
  router.patch(
    '/admin/persons/:personId',
    admin,
    validated(
      {
        params: personParams,
        body: z
          .strictObject({ givenName: name.optional(), familyName: name.optional(), externalId: z.string().regex(PERSON_EXTERNAL_ID).optional() })
          .refine((change) => Object.keys(change).length > 0, { error: 'name at least one of givenName, familyName, externalId' }),
      },
      async ({ params, body }, req, res) => {
        const principal = principalOf(req);
        const person = inMunicipality(req, 'person', params.personId, await persons.get(params.personId));
        const version = versionToChange(req, person.version);
        if (body.externalId !== undefined && body.externalId !== person.externalId && person.kind === 'staff') {
          const holder = await persons.findStaffByExternalId(body.externalId);
          if (holder) throw loginTaken(body.externalId, loginHolder(holder, person.municipalityId));
        }
        const { _id, version: _v, ...state } = person;
        const changed = await writeAtVersion(req, () => persons.change(_id, version, { ...state, ...body }, state));
        await audit.record(principal, { action: 'update', recordType: 'person', recordId: _id, ...aboutChild(person), purpose: `changed ${Object.keys(body).join(', ')}` });
        setVersionTag(res, changed.version);
        res.json(toJson(changed));
      },
    ),
  );

  router.post(
    '/admin/persons/:personId/cpr-reads',
    admin,
    validated({ params: personParams, body: z.strictObject({ purpose }) }, async ({ params, body }, req, res) => {
      const principal = principalOf(req);
      const person = inMunicipality(req, 'person', params.personId, await persons.get(params.personId));
      await audit.record(principal, { action: 'read-cpr', recordType: 'person', recordId: person._id, ...aboutChild(person), purpose: body.purpose });
      res.set('cache-control', 'no-store').json({ personId: person._id, cpr: vault.decrypt(person.sealedCpr, person._id) });
    }),
  );

  router.post(
    '/admin/person-lookups',
    admin,
    validated({ body: z.strictObject({ cpr: z.string().max(20), purpose }) }, async ({ body }, req, res) => {
      const principal = principalOf(req);
      const cpr = validCprOf({ kind: 'child', cpr: body.cpr, givenName: '-', familyName: '-' });
      const person = await persons.findByCprHash(vault.lookupHash(cpr as Cpr));
      const found = person && person.municipalityId === principal.municipalityId ? person : null;
      await audit.record(principal, { action: 'lookup-cpr', recordType: 'person', recordId: found?._id ?? null, ...(found ? aboutChild(found) : {}), purpose: body.purpose });
      if (!found) throw notFound('a person with this CPR number');
      res.json({ personId: found._id, kind: found.kind });
    }),
  );
}

/** An entry about a child's record names the child, so it is in the child's access log (insight, export). */
export const aboutChild = (person: Stored<Person>): { childId?: string } => (person.kind === 'child' ? { childId: person._id } : {});

// The sealed CPR and its hash stay inside identity.
const toJson = (person: Stored<Person>) => toResource(person, ['sealedCpr', 'cprHash', STAFF_LOGIN]);
