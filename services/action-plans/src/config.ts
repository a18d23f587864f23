// action-plans' configuration: every variable validated at start.
import { baseConfigShape, z } from '@spor/service-kit';
import { authConfigShape } from '@spor/auth';
import { privacyConfigShape } from '@spor/privacy';
import { auditConfigShape } from '@spor/audit';

export const actionPlansConfigSchema = z.object({
  ...baseConfigShape,
  ...auditConfigShape,
  ...authConfigShape,
  ...privacyConfigShape,
  ACTION_PLANS_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spor-action-plans'),
  ACTION_PLANS_CONSUMER_GROUP: z.string().min(1).default('action-plans'),
  /** How often overdue evaluations are looked for. */
  OVERDUE_SWEEP_SECONDS: z.coerce.number().int().min(5).max(86_400).default(3600),
});

export type ActionPlansConfig = z.infer<typeof actionPlansConfigSchema>;
