// The one route every importing service answers the same way: GET <path>/:jobId, an import job
// of the caller's own municipality by its id (a hash, 32 hex digits), for the roles that import.
import type { Router } from 'express';
import { notFound, validated, z } from '@spor/service-kit';
import { principalOf, requireRole } from './middleware.js';
import type { StaffRole } from './principal.js';

const jobParams = z.object({ jobId: z.string().regex(/^[0-9a-f]{32}$/) });

/**
 * How far a job is, and why it failed: a job the sweep finished, or one that ended as failed,
 * answers nothing to the request that sent it. Another municipality's job is not there (404).
 */
export function importJobRoute<J extends { municipalityId: string }>(router: Router, path: string, roles: StaffRole[], find: (jobId: string) => Promise<J | null>, view: (job: J) => unknown): void {
  router.get(
    `${path}/:jobId`,
    requireRole(...roles),
    validated({ params: jobParams }, async ({ params }, req, res) => {
      const job = await find(params.jobId);
      if (!job || job.municipalityId !== principalOf(req).municipalityId) throw notFound(`import job ${params.jobId}`);
      res.json(view(job));
    }),
  );
}
