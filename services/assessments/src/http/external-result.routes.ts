// Results of external standardised tests (a dyslexia test, the national reading and maths
// tests) recorded with source, date, score and interpretation, beside Spor's own assessments
// in the child's history. Staff who work with the child record and read them; every read and
// write is audited.
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import type { Collection } from 'mongodb';
import { AppError, validated, z } from '@spor/service-kit';
import { principalOf } from '@spor/auth';
import { childAccessRefusal, danishDay, placementGivingAccess, type DirectoryView } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import { ASSESSMENT_ROLES } from './assessment.routes.js';

export const INTERPRETATIONS = ['well-below-expected', 'below-expected', 'as-expected', 'above-expected'] as const;

export interface ExternalResult {
  _id: string;
  municipalityId: string;
  childId: string;
  institutionId: string;
  source: string;
  testName: string;
  testedOn: string;
  score: number;
  maxScore: number | null;
  interpretation: (typeof INTERPRETATIONS)[number];
  recordedBy: string;
  recordedAt: Date;
}

export function externalResultRoutes(router: Router, deps: { results: Collection<ExternalResult>; directory: DirectoryView; audit: AuditLog; clock: () => Date }): void {
  const { results, directory, audit, clock } = deps;
  const params = z.object({ childId: z.uuid() });

  router.post(
    '/children/:childId/external-results',
    validated(
      {
        params,
        body: z.strictObject({
          source: z.string().regex(/^[a-z][a-z0-9-]{1,60}$/, { error: 'a code such as ordblindetesten or nationale-test-laesning' }),
          testName: z.string().trim().min(2).max(200),
          testedOn: z.iso.date(),
          score: z.number().finite().min(0),
          maxScore: z.number().finite().positive().optional(),
          interpretation: z.enum(INTERPRETATIONS),
        }),
      },
      async ({ params: p, body }, req, res) => {
        const principal = principalOf(req);
        const placement = await placementGivingAccess(directory, principal, p.childId, danishDay(clock()), ASSESSMENT_ROLES);
        if (!placement) throw await childAccessRefusal(directory, principal, p.childId);
        if (body.maxScore !== undefined && body.score > body.maxScore) throw new AppError({ status: 422, code: 'RESULT_INVALID', title: 'The result is not valid', detail: `score: ${body.score} is above the test's maximum ${body.maxScore}`, errors: [{ in: 'body', field: 'score', message: 'above maxScore' }] });
        if (body.testedOn > danishDay(clock())) throw new AppError({ status: 422, code: 'RESULT_INVALID', title: 'The result is not valid', detail: 'testedOn: lies in the future', errors: [{ in: 'body', field: 'testedOn', message: 'lies in the future' }] });
        const doc: ExternalResult = { _id: randomUUID(), municipalityId: principal.municipalityId, childId: p.childId, institutionId: placement.institutionId, ...body, maxScore: body.maxScore ?? null, recordedBy: principal.subject, recordedAt: clock() };
        await results.insertOne(doc);
        await audit.record(principal, { action: 'create', recordType: 'external-result', recordId: doc._id, childId: p.childId });
        const { _id, ...rest } = doc;
        res.status(201).json({ id: _id, ...rest, recordedAt: doc.recordedAt.toISOString() });
      },
    ),
  );

  router.get(
    '/children/:childId/external-results',
    validated({ params }, async ({ params: p }, req, res) => {
      const principal = principalOf(req);
      if (!(await placementGivingAccess(directory, principal, p.childId, danishDay(clock()), ASSESSMENT_ROLES))) throw await childAccessRefusal(directory, principal, p.childId);
      const items = (await results.find({ childId: p.childId, municipalityId: principal.municipalityId }).toArray()).sort((a, b) => a.testedOn.localeCompare(b.testedOn));
      await audit.record(principal, { action: 'read', recordType: 'external-result', recordId: null, childId: p.childId });
      res.json({ childId: p.childId, items: items.map(({ _id, recordedAt, ...r }) => ({ id: _id, ...r, recordedAt: recordedAt.toISOString() })) });
    }),
  );
}
