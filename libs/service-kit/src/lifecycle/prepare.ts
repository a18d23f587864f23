// The first lines of every service: validated configuration, its logger, the runtime with
// its stop steps, and the metrics registry.
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { loadConfig, type ConfigSchema } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import { createRegistry } from '../http/metrics.js';
import { ServiceRuntime } from './service-runtime.js';
import type { z } from 'zod';

export function prepareService<S extends ConfigSchema>(service: string, schema: S, environment: NodeJS.ProcessEnv, logger?: Logger): { config: z.infer<S>; log: Logger; runtime: ServiceRuntime; metrics: Registry } {
  const config = loadConfig(schema, environment);
  const base = config as { LOG_LEVEL: string; SHUTDOWN_TIMEOUT_MS: number };
  const log = logger ?? createLogger({ service, level: base.LOG_LEVEL });
  return { config, log, runtime: new ServiceRuntime(log, base.SHUTDOWN_TIMEOUT_MS), metrics: createRegistry(service) };
}
