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
});

export type ReportingConfig = z.infer<typeof reportingConfigSchema>;
