// Grants run out at the end of their period. A sweep finds consents with a grant due, drops
// those grants, and publishes consent.expired. Replicas may sweep at once: the version check
// lets one write win and the other skips the consent until its next sweep.
import type { Logger } from '@spor/service-kit';
import { expireGrants } from './domain/consent.js';
import type { ConsentRepository } from './store/consent-repository.js';
import type { DirectoryView } from '@spor/directory';

export async function expireDueGrants(deps: { consents: ConsentRepository; directory: DirectoryView; clock: () => Date; logger: Logger }): Promise<number> {
  const now = deps.clock();
  let expiredGrants = 0;
  for (const id of await deps.consents.dueForExpiry(now)) {
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
  return expiredGrants;
}
