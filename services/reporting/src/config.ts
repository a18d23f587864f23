// reporting's configuration: every variable validated at start.
import { baseConfigShape, z } from '@spor/service-kit';
import { authConfigShape } from '@spor/auth';
import { auditConfigShape } from '@spor/audit';

export const reportingConfigSchema = z.object({
  ...baseConfigShape,
  ...auditConfigShape,
  ...authConfigShape,
  REPORTING_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spor-reporting'),
  REPORTING_CONSUMER_GROUP: z.string().min(1).default('reporting'),
  /** How often each replica looks at the rebuild lease (and pauses its live consumer while another holds it). */
  REPORTING_REBUILD_WATCH_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  /** A rebuild lease not renewed for this long is given up: its holder died. */
  REPORTING_REBUILD_STALE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
});

export type ReportingConfig = z.infer<typeof reportingConfigSchema>;
