// Personal data must never reach logs, events or reports. Structured fields are removed
// by name (see REDACTED_FIELDS); this catches a CPR number that slipped into free text.
import { z } from 'zod';

/** DDMMYY-SSSS or DDMMYYSSSS with a plausible day and month. */
export const CPR_PATTERN = /(?<![\d-])(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}-?\d{4}(?![\d-])/g;

// Ten digits in a row turn up inside UUIDs' hex groups about once in a thousand ids; those are
// ids, not CPR numbers. UUIDs are matched first and passed over.
const UUID_OR_CPR = new RegExp(`([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})|${CPR_PATTERN.source}`, 'g');

export function containsCpr(text: string): boolean {
  for (const match of text.matchAll(UUID_OR_CPR)) if (match[1] === undefined) return true;
  return false;
}

export function scrubCpr(text: string): string {
  return text.replace(UUID_OR_CPR, (match, uuid: string | undefined) => (uuid === undefined ? '[CPR]' : match));
}

/** Field names whose values are personal data or secrets, wherever they appear. */
export const REDACTED_FIELDS = [
  'cpr',
  'cprNumber',
  'name',
  'firstName',
  'lastName',
  'givenName',
  'familyName',
  'fullName',
  'email',
  'phone',
  'address',
  'password',
  'secret',
  'token',
  'accessToken',
  'idToken',
  'refreshToken',
  'access_token',
  'id_token',
  'refresh_token',
  'clientSecret',
  'client_secret',
] as const;

/** Depth-first search for a CPR number anywhere in a JSON-like value; returns its path. */
export function findCpr(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return containsCpr(value) ? path || '(root)' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findCpr(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const hit = findCpr(inner, path ? `${path}.${key}` : key);
      if (hit) return hit;
    }
  }
  return undefined;
}

/**
 * A purpose or reason someone types for the audit log (why a CPR number is read, why an entry is
 * erased). The audit log keeps it for years and shows it in data subject exports: it must say
 * why, not whom, so a CPR number in it is refused (400 naming the field).
 */
export function auditPurposeText(minLength = 5, maxLength = 300) {
  return z
    .string()
    .trim()
    .min(minLength, { error: `say why (at least ${minLength} characters)` })
    .max(maxLength)
    .refine((text) => !containsCpr(text), { error: 'must not contain a CPR number: it is kept in the audit log' });
}
