// When a child's custody holders change (a guardianship registered or changed, a custody holder
// who left the directory), each of the child's consents is evaluated against them again, and one
// whose validity that changes is published as consent.reevaluated. Consumers decide on what the
// events say (transitions releases and revokes handover packages on them): a consent one parent
// granted while consent knew only that parent must not stay valid there once the other custody
// holder is known.
import type { Logger } from '@spor/service-kit';
import type { DirectoryView } from '@spor/directory';
import { reevaluate } from './domain/consent.js';
import type { ConsentRepository } from './store/consent-repository.js';

export interface CustodyDeps {
  consents: ConsentRepository;
  directory: Pick<DirectoryView, 'custodyHolders'>;
  clock: () => Date;
  logger: Logger;
  /**
   * Set while the directory view is rebuilt (it was empty at start while consents exist): changes
   * of custody from before it are replays into a view that knows part of the custody yet, and
   * evaluating against that would publish a consent valid (or invalid) that is not.
   */
  rebuildingSince?: Date;
}

/** Tries a consent a parent or the sweep changed meanwhile again with what they wrote. */
const ATTEMPTS = 3;

/** The DirectoryView listener (onCustodyChange): repeatable, so a redelivered event publishes nothing twice. */
export function reevaluateOnCustodyChange(deps: CustodyDeps): (childId: string, changedAt: Date) => Promise<void> {
  return async (childId, changedAt) => {
    if (deps.rebuildingSince && changedAt < deps.rebuildingSince) return;
    const holders = await deps.directory.custodyHolders(childId);
    for (const found of await deps.consents.forChildren([childId])) {
      let current: typeof found | null = found;
      for (let attempt = 1; current; attempt++) {
        const now = deps.clock();
        const next = reevaluate(current, holders, now);
        if (!next) break;
        try {
          await deps.consents.save(current, next, 'reevaluated', holders, holders, now);
          deps.logger.info({ consentId: current._id, custodyHolders: holders.length }, 'consent re-evaluated after a change of custody');
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== 'VERSION_CONFLICT' || attempt >= ATTEMPTS) throw error;
          current = await deps.consents.get(current._id);
        }
      }
    }
  };
}
