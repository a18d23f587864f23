// Consent requests, parents' answers, the evidence, and the check other services ask.
// Who may do what: staff of the child's municipality with a pedagogical or advisory role ask,
// read and check; a parent holding custody (per identity's guardianship events) reads, grants
// at NSIS substantial or higher, and withdraws; a service checks with the scope consent:read.
import type { Request, Router } from 'express';
import { AppError, forbidden, isAppError, notFound, validated, z } from '@spor/service-kit';
import { principalOf, requireNsisLevel, requireParent, type Principal, type StaffRole } from '@spor/auth';
import type { Stored } from '@spor/events';
import { consentIdOf, evaluate, expireGrants, grantConsent, requestConsent, withdrawConsent, type Consent } from '../domain/consent.js';
import { SCOPE_FIELDS, scopeProblems, type Scope } from '../domain/purposes.js';
import type { PurposeCatalogue } from '../store/purpose-catalogue.js';
import type { ConsentRepository } from '../store/consent-repository.js';
import { childAccessRefusal, danishDay, staffMaySeeChild, type DirectoryView } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import { PURPOSE_ID } from './purpose.routes.js';

/** Staff roles that work with a child's consents. Administration and district council members do not. */
export const CONSENT_STAFF_ROLES: StaffRole[] = ['educator', 'leader', 'internal-guide', 'praksisvejleder', 'advisory-team', 'family-counsellor', 'ppr-psychologist', 'pedagogical-consultant'];

const scopeShape = z.strictObject(Object.fromEntries(SCOPE_FIELDS.map((f) => [f, z.uuid().optional()])) as Record<(typeof SCOPE_FIELDS)[number], z.ZodOptional<z.ZodUUID>>);
const consentParams = z.object({ consentId: z.uuid() });

export interface ConsentDeps {
  consents: ConsentRepository;
  catalogue: PurposeCatalogue;
  directory: DirectoryView;
  clock: () => Date;
  audit: AuditLog;
  /** Evaluates the child's consents against its custody holders now (custody.ts): after an answer, for a change of custody applied while it was written. */
  reevaluateChild?: (childId: string, changedAt: Date) => Promise<void>;
}

const isConsentStaff = (p: Principal) => p.kind === 'staff' && p.roles.some((r) => CONSENT_STAFF_ROLES.includes(r.role));

export function consentRoutes(router: Router, deps: ConsentDeps): void {
  const { consents, catalogue, directory, clock, audit } = deps;
  const logged = (req: Request, action: string, childId: string, recordId: string | null) => audit.record(principalOf(req), { action, recordType: recordId ? 'consent' : 'consents', recordId, childId });

  /** The child, if the caller may see its consents; else 404 (staff elsewhere) or 403 (parents without custody). */
  async function childFor(req: Request, childId: string): Promise<{ municipalityId: string }> {
    const principal = principalOf(req);
    const child = await directory.person(childId);
    if (principal.kind === 'parent') {
      if (!child || !(await directory.custodyHolders(childId)).includes(principal.subject)) throw forbidden('you do not hold custody of this child', 'NO_CUSTODY');
      return child;
    }
    if (!isConsentStaff(principal)) throw forbidden(`requires one of the roles: ${CONSENT_STAFF_ROLES.join(', ')}`, 'ROLE_REQUIRED');
    // Staff see a child placed in their institution now (or under a unit they hold a role on);
    // another of the municipality's children is 403, another municipality's unknown (404).
    if (!child || child.kind !== 'child' || !(await staffMaySeeChild(directory, principal, childId, danishDay(clock()), CONSENT_STAFF_ROLES))) throw await childAccessRefusal(directory, principal, childId);
    return child;
  }

  async function consentFor(req: Request, consentId: string): Promise<Stored<Consent>> {
    const consent = await consents.get(consentId);
    if (!consent) throw notFound(`consent ${consentId}`);
    await childFor(req, consent.childId);
    return consent;
  }

  /** The consent as answered, evaluated against the custody holders (read once per child by callers that list many). */
  const view = async (consent: Stored<Consent>, holdersOf: (childId: string) => Promise<string[]> = (id) => directory.custodyHolders(id)) => {
    const now = clock();
    const holders = await holdersOf(consent.childId);
    // `published` is what the last event said: bookkeeping for re-evaluation, not part of the consent.
    const { _id, version, published: _published, ...rest } = consent;
    return { id: _id, version, ...rest, custodyHolders: holders, ...evaluate(consent, holders, now) };
  };

  router.post(
    '/consents',
    validated({ body: z.strictObject({ childId: z.uuid(), purposeId: z.string().regex(PURPOSE_ID), scope: scopeShape.default({}) }) }, async ({ body }, req, res) => {
      const principal = principalOf(req);
      if (principal.kind !== 'staff') throw forbidden('only staff ask for consent', 'ROLE_REQUIRED');
      const child = await childFor(req, body.childId);
      const purpose = await catalogue.current(child.municipalityId, body.purposeId);
      if (!purpose) {
        throw new AppError({ status: 422, code: 'UNKNOWN_PURPOSE', title: 'The purpose is not known', detail: `purposeId: no purpose ${body.purposeId}; GET /consent-purposes lists them`, errors: [{ in: 'body', field: 'purposeId', message: `no purpose ${body.purposeId}` }] });
      }
      const scope = Object.fromEntries(Object.entries(body.scope).filter(([, v]) => v !== undefined)) as Scope;
      const problems = scopeProblems(purpose, scope);
      if (problems.length > 0) {
        throw new AppError({ status: 422, code: 'SCOPE_INVALID', title: 'The scope does not fit the purpose', detail: problems.map((p) => `${p.field}: ${p.message}`).join('; '), errors: problems.map((p) => ({ in: 'body', ...p })) });
      }
      const id = consentIdOf(body.childId, body.purposeId, scope);
      const existing = await consents.get(id);
      if (existing) {
        await logged(req, 'read', body.childId, id);
        res.status(200).location(`/consents/${id}`).json(await view(existing));
        return;
      }
      const now = clock();
      await logged(req, 'create', body.childId, id);
      let created: Stored<Consent>;
      try {
        created = await consents.create(id, requestConsent({ municipalityId: child.municipalityId, childId: body.childId, scope, requestedBy: principal.subject }, purpose, now), await directory.custodyHolders(body.childId), now);
      } catch (error) {
        // Asked twice at once: the other request made it, and this one finds it as asking again would.
        const made = isAppError(error, 'ALREADY_EXISTS') ? await consents.get(id) : null;
        if (!made) throw error;
        res.status(200).location(`/consents/${id}`).json(await view(made));
        return;
      }
      res.status(201).location(`/consents/${id}`).json(await view(created));
    }),
  );

  router.get(
    '/consents/:consentId',
    validated({ params: consentParams }, async ({ params }, req, res) => {
      const consent = await consentFor(req, params.consentId);
      await logged(req, 'read', consent.childId, consent._id);
      res.json(await view(consent));
    }),
  );

  router.get(
    '/children/:childId/consents',
    validated({ params: z.object({ childId: z.uuid() }) }, async ({ params }, req, res) => {
      await childFor(req, params.childId);
      await logged(req, 'read', params.childId, null);
      const holders = await directory.custodyHolders(params.childId);
      res.json({ items: await Promise.all((await consents.forChildren([params.childId])).map((c) => view(c, async () => holders))) });
    }),
  );

  // A parent's own overview: every consent asked for any child in their custody, pending first.
  router.get('/my/consents', async (req, res) => {
    const principal = principalOf(req);
    if (principal.kind !== 'parent') throw forbidden('this list is for parents', 'PARENT_REQUIRED');
    const children = await directory.childrenInCustody(principal.subject);
    const holders = new Map(await Promise.all(children.map(async (id) => [id, await directory.custodyHolders(id)] as const)));
    for (const childId of children) await logged(req, 'read', childId, null);
    const items = await Promise.all((await consents.forChildren(children)).map((c) => view(c, async (id) => holders.get(id) ?? [])));
    const mine = items.map((c) => ({ ...c, myAnswer: c.grants[principal.subject] ? 'granted' : 'none' }));
    res.json({ items: mine.sort((a, b) => (a.myAnswer === b.myAnswer ? 0 : a.myAnswer === 'none' ? -1 : 1)) });
  });

  const answer = (action: 'grant' | 'withdraw') =>
    validated({ params: consentParams }, async ({ params }, req, res) => {
      const principal = principalOf(req);
      const consent = await consentFor(req, params.consentId);
      const now = clock();
      const acr = principal.nsisLevel ?? 'unknown';
      // A grant that ran out and that the sweep has not dropped yet is recorded as expired first: a
      // new grant does not overwrite it without that evidence.
      const current = expireGrants(consent, now).consent;
      const next = action === 'grant' ? grantConsent(current, principal.subject, acr, now) : withdrawConsent(current, principal.subject, acr, now);
      await logged(req, action, consent.childId, consent._id);
      // Granting what is granted, or withdrawing what is not, changes nothing and says so with 200.
      let saved = next ? await consents.save(consent, next, action === 'grant' ? 'granted' : 'withdrawn', [principal.subject], await directory.custodyHolders(consent.childId), now) : consent;
      // A change of custody applied between reading the holders and this write found the consent
      // as it was before it, and decided on that: evaluated once more, the answer's event is not
      // left saying valid against holders that are no longer the child's.
      if (next && deps.reevaluateChild) {
        await deps.reevaluateChild(consent.childId, now);
        saved = (await consents.get(consent._id)) ?? saved;
      }
      res.json(await view(saved));
    });
  const custodyHolder = requireParent('only a custody holder answers a consent request');
  router.post('/consents/:consentId/grant', custodyHolder, requireNsisLevel('substantial'), answer('grant'));
  router.post('/consents/:consentId/withdraw', custodyHolder, answer('withdraw'));

  // The question other services ask before they act: is there a valid consent now?
  router.get(
    '/consent-checks',
    validated({ query: z.strictObject({ childId: z.uuid(), purposeId: z.string().regex(PURPOSE_ID), ...scopeShape.shape }) }, async ({ query }, req, res) => {
      const principal = principalOf(req);
      if (principal.kind === 'service') {
        if (!principal.scopes.includes('consent:read')) throw forbidden('requires a service token with the scope consent:read', 'SCOPE_REQUIRED');
      } else {
        await childFor(req, query.childId);
      }
      const { childId, purposeId, ...scopeQuery } = query;
      const scope = Object.fromEntries(Object.entries(scopeQuery).filter(([, v]) => v !== undefined)) as Scope;
      const consent = await consents.get(consentIdOf(childId, purposeId, scope));
      await logged(req, 'read', childId, consent?._id ?? null);
      const holders = await directory.custodyHolders(childId);
      if (!consent) {
        res.json({ childId, purposeId, scope, valid: false, consentId: null, missing: holders, validUntil: null });
        return;
      }
      res.json({ childId, purposeId, scope, consentId: consent._id, purposeVersion: consent.purposeVersion, ...evaluate(consent, holders, clock()) });
    }),
  );
}
