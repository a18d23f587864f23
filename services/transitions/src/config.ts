// transitions' configuration: every variable validated at start.
import { baseConfigShape, z } from '@spor/service-kit';
import { authConfigShape } from '@spor/auth';

export const transitionsConfigSchema = z.object({
  ...baseConfigShape,
  ...authConfigShape,
  TRANSITIONS_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spor-transitions'),
  /** The consumer group of transitions' projection of identity's directory. */
  TRANSITIONS_DIRECTORY_GROUP: z.string().min(1).default('transitions-directory'),
});

export type TransitionsConfig = z.infer<typeof transitionsConfigSchema>;
