// pino behind a small factory: JSON lines, the service name, the request id from the
// async context, and personal data removed by field name and by CPR pattern.
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';
import { REDACTED_FIELDS, containsCpr, scrubCpr } from '../privacy/personal-data.js';
import { currentContext } from './context.js';

export type { Logger } from 'pino';

const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

export interface LoggerSettings {
  service: string;
  level?: string;
  destination?: DestinationStream;
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubCpr(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    if (!containsCpr(`${value.message}${value.stack ?? ''}`)) return value;
    const copy = new Error(scrubCpr(value.message));
    copy.name = value.name;
    copy.stack = value.stack ? scrubCpr(value.stack) : undefined;
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth + 1);
  return out;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: redactPaths, censor: '[REDACTED]' },
    mixin(_merge, _level, logger) {
      const ctx = currentContext();
      if (!ctx) return {};
      const bound = (logger as Logger).bindings?.() ?? {};
      return {
        ...('requestId' in bound ? {} : { requestId: ctx.requestId }),
        ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
      };
    },
    hooks: {
      // A CPR number in a message or a merged object is replaced before it is written.
      logMethod(args, method) {
        method.apply(this, args.map((a) => scrubDeep(a)) as Parameters<typeof method>);
      },
    },
    serializers: {
      err: pino.stdSerializers.err,
    },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
