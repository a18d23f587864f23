// transitions' configuration: every variable validated at start.
import { baseConfigShape, env, z } from '@spor/service-kit';
import { authConfigShape } from '@spor/auth';
import { privacyConfigShape } from '@spor/privacy';
import { auditConfigShape } from '@spor/audit';

export const transitionsConfigSchema = z.object({
  ...baseConfigShape,
  ...auditConfigShape,
  ...authConfigShape,
  ...privacyConfigShape,
  TRANSITIONS_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spor-transitions'),
  /** The consumer group of transitions' projections of identity's directory and of consents. */
  TRANSITIONS_CONSUMER_GROUP: z.string().min(1).default('transitions'),
  /** The legal basis of handovers (daycare act § 3 a): `consent` (R15) or the municipality's `guidelines`. */
  HANDOVER_LEGAL_BASIS: z.enum(['consent', 'guidelines']).default('consent'),
  /** Per municipality, where one cluster serves several: JSON like {"510":"guidelines"}. */
  HANDOVER_LEGAL_BASIS_BY_MUNICIPALITY: z
    .string()
    .default('{}')
    .refine(
      (v) => {
        try {
          const parsed = JSON.parse(v) as unknown;
          return typeof parsed === 'object' && parsed !== null && Object.entries(parsed).every(([k, b]) => /^[0-9]{3}$/.test(k) && (b === 'consent' || b === 'guidelines'));
        } catch {
          return false;
        }
      },
      { error: 'must be JSON mapping kommunekoder to "consent" or "guidelines", like {"510":"guidelines"}' },
    ),
  /** identity's base URL for service calls (CPR numbers in enrollment imports); unset: imports answer 503. */
  IDENTITY_URL: env.url().optional(),
  TRANSITIONS_CLIENT_ID: z.string().min(1).default('transitions'),
  TRANSITIONS_CLIENT_SECRET: z.string().min(16).optional(),
  HTTP_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, { error: 'must look like 100kb or 5mb' }).default('10mb'),
  /** How often planned transitions whose date has come move the enrollment. */
  TRANSITIONS_SWEEP_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
});

export type TransitionsConfig = z.infer<typeof transitionsConfigSchema>;
