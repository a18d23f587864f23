// consent's configuration: every variable validated at start.
import { baseConfigShape, z } from '@spor/service-kit';
import { authConfigShape } from '@spor/auth';
import { privacyConfigShape } from '@spor/privacy';
import { auditConfigShape } from '@spor/audit';

export const consentConfigSchema = z.object({
  ...baseConfigShape,
  ...auditConfigShape,
  ...authConfigShape,
  ...privacyConfigShape,
  CONSENT_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spor-consent'),
  /** How often grants that ran out are expired (and consent.expired published). */
  CONSENT_EXPIRY_SWEEP_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  /** The consumer group of consent's projection of identity's directory. */
  CONSENT_DIRECTORY_GROUP: z.string().min(1).default('consent-directory'),
});

export type ConsentConfig = z.infer<typeof consentConfigSchema>;
