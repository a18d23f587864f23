// Results of external standardised tests (a dyslexia test, the national reading and maths
// tests) recorded one at a time by staff who work with the child, and listed beside Spor's own
// assessments in the child's history. Every read and write is audited. (Files of results from
// municipal IT: external-result-import.routes.ts.)
import type { Router } from 'express';
import { AppError, conflict, validated, z } from '@spor/service-kit';
import { principalOf } from '@spor/auth';
import { childAccessRefusal, danishDay, type DirectoryView } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import { keptFor, resultFields, resultId, resultOwner, resultProblems, testDayInstitution, type ExternalResult } from '../domain/external-result.js';
import type { ExternalResults } from '../store/external-results.js';
import { assessmentInstitutions } from './assessment.routes.js';

export const resultView = ({ _id, version: _version, recordedAt, corrections, ...r }: ExternalResult & { version?: number }) => ({
  id: _id,
  ...r,
  recordedAt: recordedAt.toISOString(),
  ...(corrections ? { corrections: corrections.map((c) => ({ ...c, replacedAt: c.replacedAt.toISOString() })) } : {}),
});

export function externalResultRoutes(router: Router, deps: { results: ExternalResults; directory: DirectoryView; audit: AuditLog; clock: () => Date; keptDays: (municipalityId: string) => Promise<number> }): void {
  const { results, directory, audit, clock } = deps;
  const params = z.object({ childId: z.uuid() });
  /** The child's placements in the municipality, oldest first. */
  const placementsIn = async (childId: string, municipalityId: string) => (await directory.placementHistory(childId)).filter((pl) => pl.municipalityId === municipalityId);

  router.post(
    '/children/:childId/external-results',
    validated({ params, body: z.strictObject(resultFields) }, async ({ params: p, body }, req, res) => {
      const principal = principalOf(req);
      const today = danishDay(clock());
      const reached = await assessmentInstitutions(directory, principal, p.childId, today);
      if (reached.size === 0) throw await childAccessRefusal(directory, principal, p.childId);
      const problems = resultProblems(body, today, keptFor(today, await deps.keptDays(principal.municipalityId)));
      if (problems.length > 0) throw new AppError({ status: 422, code: 'RESULT_INVALID', title: 'The result is not valid', detail: problems.map((x) => `${x.field}: ${x.message}`).join('; '), errors: problems.map((x) => ({ in: 'body', field: x.field, message: x.message })) });
      // The result belongs where the child was when tested, as an imported one does, and is
      // recorded there while the child is still placed there with the staff member (the
      // institution gives them access today): a test from before the child came is the earlier
      // institution's, and comes here through a handover only; once the child has moved on, the
      // earlier institution records nothing more, also by staff who work at both.
      const history = await placementsIn(p.childId, principal.municipalityId);
      const institutionId = testDayInstitution(history, body.testedOn);
      const owner = resultOwner({ institutionId, testedOn: body.testedOn }, history);
      if (!owner || !reached.has(owner)) {
        throw new AppError({ status: 422, code: 'TESTED_ELSEWHERE', title: 'The child was tested at another institution', detail: 'testedOn: on that day the child was not at the institution where it is placed with you now; the result is that institution’s, and comes to you with a handover', errors: [{ in: 'body', field: 'testedOn', message: 'the child was at another institution that day' }] });
      }
      const doc: ExternalResult = { _id: resultId(principal.municipalityId, p.childId, body), municipalityId: principal.municipalityId, childId: p.childId, institutionId, ...body, maxScore: body.maxScore ?? null, recordedBy: principal.subject, recordedAt: clock() };
      const exists = () => conflict('RESULT_EXISTS', `a result of ${body.testName} (${body.source}) on ${body.testedOn} is recorded for this child already`);
      if (await results.get(doc._id)) throw exists();
      // The entry before the write: a write is never without one (a failed write leaves an entry of an attempt).
      await audit.record(principal, { action: 'create', recordType: 'external-result', recordId: doc._id, childId: p.childId });
      if (!(await results.insert(doc))) throw exists();
      res.status(201).location(`/children/${p.childId}/external-results`).json(resultView(doc));
    }),
  );

  router.get(
    '/children/:childId/external-results',
    validated({ params }, async ({ params: p }, req, res) => {
      const principal = principalOf(req);
      const reached = await assessmentInstitutions(directory, principal, p.childId, danishDay(clock()));
      if (reached.size === 0) throw await childAccessRefusal(directory, principal, p.childId);
      // As with assessments: a result is seen while the child is placed, with the staff member, at
      // the institution it belongs to (resultOwner); the child's earlier institution's stay there.
      const all = await results.forChild(p.childId, principal.municipalityId);
      const history = await placementsIn(p.childId, principal.municipalityId);
      const items = all.filter((r) => reached.has(resultOwner(r, history) ?? ''));
      await audit.record(principal, { action: 'read', recordType: 'external-result', recordId: null, childId: p.childId });
      res.json({ childId: p.childId, items: items.map(resultView) });
    }),
  );
}
