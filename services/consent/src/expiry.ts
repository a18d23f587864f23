// Grants run out at the end of their period. A sweep finds consents with a grant due, drops
// those grants, and publishes consent.expired. Replicas may sweep at once: the version check
// lets one write win and the other skips the consent until its next sweep.
import type { Logger } from '@spor/service-kit';
import { expireGrants } from './domain/consent.js';
import type { ConsentRepository } from './store/consent-repository.js';
import type { DirectoryView } from '@spor/directory';

export interface ExpiryDeps {
  consents: ConsentRepository;
  directory: DirectoryView;
  clock: () => Date;
  logger: Logger;
}

/**
 * The sweep as a service runs it: by the day of expiry each round, and by range (every consent
 * due, whatever its day) at the first round and then once a day, which finds what a sweep missed
 * while the service was down or failing.
 */
export function expirySweep(deps: ExpiryDeps): () => Promise<number> {
  let lastEveryDay: number | undefined;
  return async () => {
    const now = deps.clock().getTime();
    const everyDay = lastEveryDay === undefined || now - lastEveryDay >= 86_400_000 || now < lastEveryDay;
    const { expiredGrants, complete } = await runExpiry(deps, everyDay);
    // A range round that hit its limit runs again next round.
    if (everyDay && complete) lastEveryDay = now;
    return expiredGrants;
  };
}

const LIMIT = 500;

async function runExpiry(deps: ExpiryDeps, everyDay: boolean): Promise<{ expiredGrants: number; complete: boolean }> {
  const now = deps.clock();
  let expiredGrants = 0;
  const due = await deps.consents.dueForExpiry(now, { everyDay, limit: LIMIT });
  for (const id of due) {
    const consent = await deps.consents.get(id);
    if (!consent) continue;
    const { consent: next, expired } = expireGrants(consent, now);
    if (expired.length === 0) continue;
    try {
      await deps.consents.save(consent, next, 'expired', expired, await deps.directory.custodyHolders(consent.childId), now);
      expiredGrants += expired.length;
    } catch (error) {
      if ((error as { code?: string }).code !== 'VERSION_CONFLICT') throw error;
    }
  }
  if (expiredGrants > 0) deps.logger.info({ expiredGrants }, 'consent grants expired');
  return { expiredGrants, complete: due.length < LIMIT };
}
