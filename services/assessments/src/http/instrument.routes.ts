// The instrument catalogue: staff read the instruments in use; the municipality's system
// administrator or pedagogical consultants draft and publish their own (licensed) instruments
// or new versions. A published version never changes.
import type { Router } from 'express';
import { AppError, notFound, validated, z } from '@spor/service-kit';
import { principalOf, requireRole } from '@spor/auth';
import { definitionProblems } from '../domain/definition-check.js';
import type { InstrumentDefinition } from '../domain/instrument.js';
import type { InstrumentCatalogue } from '../store/instrument-catalogue.js';
import type { AuditLog } from '@spor/audit';

const instrumentId = z.string().regex(/^[a-z][a-z0-9-]{1,60}$/);

/** 422 naming every problem of a definition, each under the field it is about. */
function refuseDefinition(problems: string[]): void {
  if (problems.length === 0) return;
  throw new AppError({ status: 422, code: 'INSTRUMENT_INVALID', title: 'The instrument definition is not valid', detail: problems.join('; '), errors: problems.map((p) => ({ in: 'body', field: p.split(':')[0]!, message: p.slice(p.indexOf(':') + 2) })) });
}

export function instrumentRoutes(router: Router, catalogue: InstrumentCatalogue, audit: AuditLog): void {
  const editors = requireRole('system-administrator', 'pedagogical-consultant');

  router.get('/instruments', async (req, res) => {
    res.json({ items: await catalogue.allCurrent(principalOf(req).municipalityId) });
  });

  router.get(
    '/instruments/:instrumentId/versions/:version',
    validated({ params: z.object({ instrumentId, version: z.coerce.number().int().min(1) }) }, async ({ params }, req, res) => {
      const def = await catalogue.version(principalOf(req).municipalityId, params.instrumentId, params.version);
      if (!def) throw notFound(`version ${params.version} of instrument ${params.instrumentId}`);
      res.json(def);
    }),
  );

  // The body is the whole definition, checked against the instrument JSON Schema and for meaning.
  router.put(
    '/instruments/:instrumentId/draft',
    editors,
    validated({ params: z.object({ instrumentId }) }, async ({ params }, req, res) => {
      const candidate = { ...(req.body as object), instrumentId: params.instrumentId };
      refuseDefinition(definitionProblems(candidate));
      const { version: _ignored, ...definition } = candidate as InstrumentDefinition;
      // Who proposed how the municipality's children are to be categorised, on the record.
      await audit.record(principalOf(req), { action: 'update', recordType: 'instrument-draft', recordId: params.instrumentId });
      res.json(await catalogue.saveDraft(principalOf(req).municipalityId, definition, principalOf(req).subject));
    }),
  );

  router.post(
    '/instruments/:instrumentId/draft/publish',
    editors,
    validated({ params: z.object({ instrumentId }) }, async ({ params }, req, res) => {
      const municipalityId = principalOf(req).municipalityId;
      const draft = await catalogue.draft(municipalityId, params.instrumentId);
      if (!draft) throw notFound(`a draft of instrument ${params.instrumentId}`);
      // Checked again as it becomes immutable: a draft saved before a check was added is held to it now.
      refuseDefinition(definitionProblems({ ...draft.definition, version: 1 }));
      await audit.record(principalOf(req), { action: 'create', recordType: 'instrument', recordId: params.instrumentId, purpose: 'publish' });
      const published = await catalogue.publish(municipalityId, params.instrumentId, principalOf(req).subject);
      if (!published) throw notFound(`a draft of instrument ${params.instrumentId}`);
      res.status(201).location(`/instruments/${published.instrumentId}/versions/${published.version}`).json(published);
    }),
  );
}
