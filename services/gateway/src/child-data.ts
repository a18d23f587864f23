// One call for everything the suite keeps about a child: GET /api/children/{childId}/insight (a
// parent with custody) and GET /api/children/{childId}/export (the municipality's data-protection
// officer). The gateway asks every service that keeps records about children at once, with the
// caller's own token, and puts the answers side by side: composeInsight / composeExport of
// libs/privacy, the same composition as `npm run privacy:export`. Each service checks the token
// and the caller's relation to the child itself and logs its own read; the gateway keeps nothing.
import type { Request, Router } from 'express';
import { currentRequestId, forbidden, notFound, unauthorized, validated, z } from '@spor/service-kit';
import { composeExport, composeInsight, type ComposedExport } from '@spor/privacy';
import type { UpstreamName } from './config.js';
import { upstreamUnavailable } from './proxy.js';

/** The services that keep records about children (reporting keeps pseudonymous figures only). */
export const CHILD_DATA_SERVICES = ['identity', 'action-plans', 'assessments', 'consent', 'transitions'] as const satisfies readonly UpstreamName[];

export interface ChildDataOptions {
  upstreams: Record<UpstreamName, string>;
  timeoutMs: number;
  /** The gateway's own admission: rate limits and the token check. */
  admit: (req: Request) => Promise<void>;
}

/**
 * When no service answered, the refusal they agree on is the answer (404 for whoever is not a
 * parent with custody, 403 for staff without the role); anything else is an outage.
 */
function refusalOf(missing: ComposedExport['missing'], childId: string): Error {
  const statuses = new Set(missing.map((m) => m.status));
  if (statuses.size === 1 && statuses.has(404)) return notFound(`child ${childId}`);
  if (statuses.size === 1 && statuses.has(403)) return forbidden('no service answers this caller about the child: requires one of the roles: dpo', 'ROLE_REQUIRED');
  if (statuses.size === 1 && statuses.has(401)) return unauthorized('the services refused the token');
  return upstreamUnavailable(missing.map((m) => m.service).join(', '));
}

export function childDataRoutes(router: Router, options: ChildDataOptions): void {
  const services = CHILD_DATA_SERVICES.map((service) => ({ service, url: options.upstreams[service].replace(/\/$/, '') }));
  const params = z.object({ childId: z.uuid() });
  for (const [what, compose] of [['insight', composeInsight], ['export', composeExport]] as const) {
    router.get(
      `/api/children/:childId/${what}`,
      async (req, _res, next) => {
        await options.admit(req);
        next();
      },
      validated({ params }, async ({ params: { childId } }, req, res) => {
        const requestId = currentRequestId() ?? '';
        const upstreamFetch: typeof fetch = (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), 'x-request-id': requestId }, signal: AbortSignal.timeout(options.timeoutMs) });
        const composed = await compose({ childId, services, authorization: req.headers.authorization ?? '', fetch: upstreamFetch });
        if (composed.services.length === 0) throw refusalOf(composed.missing, childId);
        res.set('cache-control', 'no-store').json(composed);
      }),
    );
  }
}
