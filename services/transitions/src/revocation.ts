// R15: when the consent a handover was released on stops being valid (withdrawn, expired), the
// receiving institution loses the package at once. Runs on each consent event from consent's
// topic; revoking twice changes nothing.
import type { SeenConsent } from '@spor/directory';
import { revoke } from './domain/transition.js';
import type { TransitionRepository } from './store/transition-repository.js';

const REASONS: Record<string, string> = { withdrawn: 'consent-withdrawn', expired: 'consent-expired' };

/** Why a package lost its consent, from the consent's last change as transitions knows it. */
export function revocationReason(consent: SeenConsent | null): string {
  return (consent && REASONS[consent.lastChange]) ?? 'consent-invalid';
}

export function revokeOnLostConsent(transitions: TransitionRepository, clock: () => Date) {
  return async (consent: SeenConsent): Promise<void> => {
    const receivingUnitId = consent.scope.receivingUnitId;
    if (consent.purposeId !== 'transition-transfer' || !receivingUnitId) return;
    if (consent.valid && (consent.validUntil === null || consent.validUntil > clock().toISOString())) return;
    const reason = revocationReason(consent);
    for (const t of await transitions.released(consent.childId, receivingUnitId)) {
      if (t.handover.legalBasis !== 'consent') continue;
      const next = revoke(t, reason, clock());
      if (next) await transitions.save(t, next, 'revoked', { reason });
    }
  };
}
