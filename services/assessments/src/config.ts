// assessments' configuration: every variable validated at start.
import { baseConfigShape, z } from '@spor/service-kit';
import { authConfigShape } from '@spor/auth';
import { privacyConfigShape } from '@spor/privacy';

export const assessmentsConfigSchema = z.object({
  ...baseConfigShape,
  ...authConfigShape,
  ...privacyConfigShape,
  ASSESSMENTS_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spor-assessments'),
  /** The consumer group of assessments' projection of the directory and enrollments. */
  ASSESSMENTS_CONSUMER_GROUP: z.string().min(1).default('assessments'),
});

export type AssessmentsConfig = z.infer<typeof assessmentsConfigSchema>;
