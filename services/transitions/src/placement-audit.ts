// Every write of a placement is on the child's record before it is made: by staff, by an import
// (as the importer, naming the job), or by a completed transition. One shape for all three.
import type { AuditLog } from '@spor/audit';
import type { Principal } from '@spor/auth';
import type { Placement } from './domain/enrollment.js';

export function recordPlacement(audit: AuditLog, by: Principal, action: string, childId: string, placement: Pick<Placement, 'placementId' | 'institutionId'>, purpose?: string): Promise<void> {
  return audit.record(by, { action, recordType: 'placement', recordId: placement.placementId, childId, institutionId: placement.institutionId, ...(purpose ? { purpose } : {}) });
}
