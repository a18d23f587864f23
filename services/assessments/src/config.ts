// assessments' configuration: every variable validated at start.
import { baseConfigShape, env, z } from '@spor/service-kit';
import { authConfigShape } from '@spor/auth';
import { privacyConfigShape } from '@spor/privacy';
import { auditConfigShape } from '@spor/audit';

export const assessmentsConfigSchema = z.object({
  ...baseConfigShape,
  ...auditConfigShape,
  ...authConfigShape,
  ...privacyConfigShape,
  ASSESSMENTS_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spor-assessments'),
  /** The consumer group of assessments' projection of the directory and enrollments. */
  ASSESSMENTS_CONSUMER_GROUP: z.string().min(1).default('assessments'),
  /** identity's base URL for service calls (CPR numbers in result imports); unset: rows by CPR number answer 503. */
  IDENTITY_URL: env.url().optional(),
  ASSESSMENTS_CLIENT_ID: z.string().min(1).default('assessments'),
  ASSESSMENTS_CLIENT_SECRET: z.string().min(16).optional(),
  /** Import files as CSV or JSON lines (other bodies keep HTTP_BODY_LIMIT, read before the token is checked). */
  ASSESSMENTS_IMPORT_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, { error: 'must look like 100kb or 5mb' }).default('5mb'),
  /** How often import jobs a failed round or another process left unfinished are taken up again. */
  ASSESSMENTS_IMPORT_SWEEP_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
});

export type AssessmentsConfig = z.infer<typeof assessmentsConfigSchema>;
