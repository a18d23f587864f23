// Personal data must never reach logs, events or reports. Structured fields are removed
// by name (see REDACTED_FIELDS); this catches a CPR number that slipped into free text.

/** DDMMYY-SSSS or DDMMYYSSSS with a plausible day and month. */
export const CPR_PATTERN = /(?<![\d-])(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}-?\d{4}(?![\d-])/g;

export function containsCpr(text: string): boolean {
  CPR_PATTERN.lastIndex = 0;
  const found = CPR_PATTERN.test(text);
  CPR_PATTERN.lastIndex = 0;
  return found;
}

export function scrubCpr(text: string): string {
  return text.replace(CPR_PATTERN, '[CPR]');
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
