// gateway's configuration: where each service is, who may call from a browser, and the
// limits that keep one client from starving the others. No database, no Kafka.
import { baseConfigShape, env, z } from '@spor/service-kit';
import { authConfigShape } from '@spor/auth';

const { PORT, LOG_LEVEL, SHUTDOWN_TIMEOUT_MS } = baseConfigShape;

/** The services behind the gateway, by the path segment that names them: /api/<name>/... */
export const UPSTREAM_VARIABLES = {
  identity: 'IDENTITY_URL',
  assessments: 'ASSESSMENTS_URL',
  'action-plans': 'ACTION_PLANS_URL',
  consent: 'CONSENT_URL',
  transitions: 'TRANSITIONS_URL',
  reporting: 'REPORTING_URL',
} as const;

export type UpstreamName = keyof typeof UPSTREAM_VARIABLES;

const origin = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

export const gatewayConfigSchema = z.object({
  PORT,
  LOG_LEVEL,
  SHUTDOWN_TIMEOUT_MS,
  ...authConfigShape,
  IDENTITY_URL: env.url(),
  ASSESSMENTS_URL: env.url(),
  ACTION_PLANS_URL: env.url(),
  CONSENT_URL: env.url(),
  TRANSITIONS_URL: env.url(),
  REPORTING_URL: env.url(),
  /** Browser origins allowed to call the API (CORS), comma-separated; none by default. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((list) => list.every((o) => origin.test(o)), { error: 'must be a comma-separated list of origins like https://spor.kommune.dk (scheme, host, optional port; no path)' }),
  /** Requests per minute per authenticated user (token subject), in each gateway replica. */
  RATE_LIMIT_USER_PER_MINUTE: env.positiveInt(600),
  /** Requests per minute per client address, authenticated or not, in each gateway replica. */
  RATE_LIMIT_IP_PER_MINUTE: env.positiveInt(1200),
  /** How long an upstream may take to start answering (and may stay silent) before 504. */
  UPSTREAM_TIMEOUT_MS: env.positiveInt(15_000),
  /** The same for municipal IT's bulk imports (directory, enrollments, test results), which apply a whole file. */
  UPSTREAM_IMPORT_TIMEOUT_MS: env.positiveInt(300_000),
  /** The largest request body passed on; larger ones get 413 before reaching a service. */
  GATEWAY_BODY_LIMIT_BYTES: env.positiveInt(2 * 1024 * 1024),
  /** Proxies in front of the gateway (the ingress controller) whose X-Forwarded-For is trusted. */
  TRUST_PROXY_HOPS: z.coerce.number({ error: 'must be a whole number' }).int().min(0).default(0),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export function upstreamsOf(config: GatewayConfig): Record<UpstreamName, string> {
  return Object.fromEntries(Object.entries(UPSTREAM_VARIABLES).map(([name, variable]) => [name, config[variable]])) as Record<UpstreamName, string>;
}
