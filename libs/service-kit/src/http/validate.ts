// Request validation with zod: every failure names its part (body, query, params) and
// field, and the whole request is rejected with one 400 listing all of them.
import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { validationFailed, type FieldError } from '../errors/app-error.js';

export interface RequestSchemas {
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

export interface ValidInput<S extends RequestSchemas> {
  body: Infer<S['body']>;
  query: Infer<S['query']>;
  params: Infer<S['params']>;
}

export function zodIssuesToFieldErrors(part: FieldError['in'], error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    in: part,
    field: issue.path.map(String).join('.'),
    message: issue.message,
    code: issue.code,
  }));
}

/** Validates every part named in `schemas`, then calls `handler` with the parsed values. */
export function validated<S extends RequestSchemas>(
  schemas: S,
  handler: (input: ValidInput<S>, req: Request, res: Response) => unknown | Promise<unknown>,
): RequestHandler {
  const handle: RequestHandler = async (req, res) => {
    const errors: FieldError[] = [];
    const parsed: Record<string, unknown> = {};
    for (const part of ['params', 'query', 'body'] as const) {
      const schema = schemas[part];
      if (!schema) continue;
      const raw = part === 'body' && req.body === undefined ? undefined : req[part];
      const result = schema.safeParse(raw);
      if (result.success) parsed[part] = result.data;
      else errors.push(...zodIssuesToFieldErrors(part, result.error));
    }
    if (errors.length > 0) throw validationFailed(errors);
    await handler(parsed as unknown as ValidInput<S>, req, res);
  };
  // Readable from the route table, for tools that draft or compare the OpenAPI documents.
  return Object.assign(handle, { schemas });
}
