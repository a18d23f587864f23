// One error type for the whole suite: a stable wire code, an HTTP status and, for
// business-rule violations, the rule id from DOMAIN.md (R1–R16).

export interface FieldError {
  /** Where the bad value was: body, query, params, headers. */
  in: 'body' | 'query' | 'params' | 'headers';
  /** Dotted path to the field, for example `goals.0.signs`. Empty for the whole part. */
  field: string;
  message: string;
  code?: string;
}

export interface AppErrorOptions {
  status: number;
  code: string;
  title: string;
  detail?: string;
  rule?: string;
  errors?: FieldError[];
  /** A catastrophic error means the process is in an unknown state and should restart. */
  catastrophic?: boolean;
  cause?: unknown;
  headers?: Record<string, string>;
  /** Extra members of the problem document, for protocols that name their own (OAuth's `error`). */
  extensions?: Record<string, string>;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly rule?: string;
  readonly errors?: FieldError[];
  readonly catastrophic: boolean;
  readonly headers?: Record<string, string>;
  readonly extensions?: Record<string, string>;

  constructor(options: AppErrorOptions) {
    super(options.detail ?? options.title, { cause: options.cause });
    this.name = 'AppError';
    this.status = options.status;
    this.code = options.code;
    this.title = options.title;
    this.detail = options.detail;
    this.rule = options.rule;
    this.errors = options.errors;
    this.catastrophic = options.catastrophic ?? false;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }
}

/** Whether `error` is an AppError, with this wire code when one is named (a conflict a caller handles). */
export const isAppError = (error: unknown, code?: string): error is AppError => error instanceof AppError && (code === undefined || error.code === code);

export function validationFailed(errors: FieldError[], detail?: string): AppError {
  return new AppError({
    status: 400,
    code: 'VALIDATION_FAILED',
    title: 'The request is not valid',
    detail: detail ?? errors.map((e) => `${e.in}${e.field ? `.${e.field}` : ''}: ${e.message}`).join('; '),
    errors,
  });
}

export function notFound(what: string): AppError {
  return new AppError({ status: 404, code: 'NOT_FOUND', title: 'Not found', detail: `${what} was not found` });
}

/** A business rule of DOMAIN.md refuses the request: 409 by default, 422 for content rules. */
export function ruleViolation(options: {
  code: string;
  rule: string;
  detail: string;
  status?: 409 | 422;
  errors?: FieldError[];
}): AppError {
  return new AppError({
    status: options.status ?? 409,
    code: options.code,
    rule: options.rule,
    title: `Refused by rule ${options.rule}`,
    detail: options.detail,
    errors: options.errors,
  });
}

export function unauthorized(detail: string, code = 'UNAUTHENTICATED'): AppError {
  return new AppError({
    status: 401,
    code,
    title: 'Authentication required',
    detail,
    headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${detail.replace(/"/g, "'")}"` },
  });
}

export function forbidden(detail: string, code = 'FORBIDDEN'): AppError {
  return new AppError({ status: 403, code, title: 'Forbidden', detail });
}

/** A conflict; with `retryAfterSeconds` when it ends by itself (another request's work in hand). */
export function conflict(code: string, detail: string, retryAfterSeconds?: number): AppError {
  return new AppError({ status: 409, code, title: 'Conflict', detail, ...(retryAfterSeconds !== undefined ? { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) } } : {}) });
}
