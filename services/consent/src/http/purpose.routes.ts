// The purpose catalogue: anyone logged in reads it (parents read the text they are asked to
// agree to); the municipality's system administrator publishes new versions, never edits one.
import type { Router } from 'express';
import { notFound, validated, z } from '@spor/service-kit';
import { principalOf, requireRole } from '@spor/auth';
import { SCOPE_FIELDS } from '../domain/purposes.js';
import type { PurposeCatalogue, StoredPurpose } from '../store/purpose-catalogue.js';

export const PURPOSE_ID = /^[a-z][a-z0-9-]{1,60}$/;

const toResource = ({ _id, publishedAt, ...purpose }: StoredPurpose) => ({ ...purpose, publishedAt: publishedAt.toISOString() });

export function purposeRoutes(router: Router, catalogue: PurposeCatalogue): void {
  router.get('/consent-purposes', async (req, res) => {
    res.json({ items: (await catalogue.allCurrent(principalOf(req).municipalityId)).map(toResource) });
  });

  router.get(
    '/consent-purposes/:purposeId/versions/:version',
    validated({ params: z.object({ purposeId: z.string().regex(PURPOSE_ID), version: z.coerce.number().int().min(1) }) }, async ({ params }, req, res) => {
      const purpose = await catalogue.version(principalOf(req).municipalityId, params.purposeId, params.version);
      if (!purpose) throw notFound(`version ${params.version} of purpose ${params.purposeId}`);
      res.json(toResource(purpose));
    }),
  );

  router.post(
    '/consent-purposes/:purposeId/versions',
    requireRole('system-administrator'),
    validated(
      {
        params: z.object({ purposeId: z.string().regex(PURPOSE_ID) }),
        body: z.strictObject({
          title: z.string().trim().min(3).max(200),
          text: z.string().trim().min(20).max(5000),
          legalBasis: z.string().trim().min(5).max(500),
          validityDays: z.int().min(1).max(3 * 365),
          requiresAllCustodyHolders: z.boolean().default(true),
          scope: z.array(z.enum(SCOPE_FIELDS)).max(SCOPE_FIELDS.length).default([]),
          rule: z.string().regex(/^R([1-9]|1[0-6])$/, { error: 'must be a rule of DOMAIN.md, R1 to R16' }),
        }),
      },
      async ({ params, body }, req, res) => {
        const principal = principalOf(req);
        const published = await catalogue.publish(principal.municipalityId, { ...body, purposeId: params.purposeId }, principal.subject);
        res.status(201).location(`/consent-purposes/${published.purposeId}/versions/${published.version}`).json(toResource(published));
      },
    ),
  );
}
