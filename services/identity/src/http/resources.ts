// What every admin route does with a stored record: refuse it unless it belongs to the caller's
// municipality (answered like a missing one, so existence is not disclosed across
// municipalities), and show it as a resource with `id` instead of `_id`.
import type { Request } from 'express';
import { notFound } from '@spor/service-kit';
import { principalOf } from '@spor/auth';
import type { Stored } from '@spor/events';

export function inMunicipality<T extends { municipalityId: string }>(req: Request, what: string, id: string, found: Stored<T> | null): Stored<T> {
  if (!found || found.municipalityId !== principalOf(req).municipalityId) throw notFound(`${what} ${id}`);
  return found;
}

/** The record as the API shows it; `hidden` fields never leave the service. */
export function toResource<T extends object>(doc: Stored<T>, hidden: readonly string[] = []) {
  const { _id, version, ...rest } = doc;
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (!hidden.includes(key)) shown[key] = value;
  return { id: _id, version, ...shown };
}
