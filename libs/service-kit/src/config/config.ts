// Configuration comes from environment variables only, is validated once at start, and
// a missing or malformed variable stops the process with a message naming it.
// There are no secret defaults: a secret without a value is a start-up error.
import { z } from 'zod';

export class ConfigError extends Error {
  readonly issues: { variable: string; message: string }[];
  constructor(issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export type ConfigSchema = z.ZodObject<z.ZodRawShape>;

/** Parses `env` against a schema whose keys are the variable names. */
export function loadConfig<S extends ConfigSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // Empty strings count as unset: `FOO=` in a manifest is almost always a mistake.
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === undefined || value.trim() === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(config)');
    const missing = input[variable] === undefined && issue.code === 'invalid_type';
    return { variable, message: missing ? 'is required but not set' : issue.message };
  });
  throw new ConfigError(issues);
}

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** Building blocks for service configuration schemas. */
export const env = {
  string: () => z.string(),
  port: (fallback: number) =>
    z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number({ error: 'must be a whole number' }).int().positive().default(fallback),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(fallback),
  url: () => z.url({ error: 'must be a URL' }),
  mongoUrl: () =>
    z.string().regex(/^mongodb(\+srv)?:\/\/[^\s]+$/, { error: 'must be a mongodb:// or mongodb+srv:// URL' }),
  kafkaBrokers: () =>
    z
      .string()
      .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
      .refine((list) => list.length > 0 && list.every((b) => hostPort.test(b)), {
        error: 'must be a comma-separated list of host:port',
      }),
  /** A secret: required, never defaulted, at least `minLength` characters. */
  secret: (minLength = 16) => z.string().min(minLength, { error: `must be at least ${minLength} characters` }),
  list: () => z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
};

/** The variables every service reads. */
export const baseConfigShape = {
  PORT: env.port(8080),
  LOG_LEVEL: env.logLevel(),
  MONGO_URL: env.mongoUrl(),
  KAFKA_BROKERS: env.kafkaBrokers(),
  KAFKA_CLIENT_ID: env.string().optional(),
  SHUTDOWN_TIMEOUT_MS: env.positiveInt(25_000),
  HTTP_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, { error: 'must look like 100kb or 1mb' }).default('100kb'),
};
