// Who read or looked up a CPR number, when, and why. A plain append-only collection for now;
// the suite-wide audit format (hash-chained, shipped as spor.audit.access.v1) is issue 12's.
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { Principal } from '@spor/auth';

export interface AuditEntry {
  _id: string;
  at: Date;
  actor: string;
  roles: string[];
  municipalityId: string;
  action: 'create' | 'update' | 'read-cpr' | 'lookup-cpr' | 'import';
  recordType: 'person' | 'import';
  recordId: string | null;
  purpose?: string;
}

export class AuditLog {
  constructor(private readonly collection: Collection<AuditEntry>) {}

  async record(principal: Principal, entry: Pick<AuditEntry, 'action' | 'recordType' | 'recordId' | 'purpose'>): Promise<void> {
    await this.collection.insertOne({
      _id: randomUUID(),
      at: new Date(),
      actor: principal.subject,
      roles: principal.roles.map((r) => `${r.role}@${r.unitId}`),
      municipalityId: principal.municipalityId,
      ...entry,
    });
  }

  forRecord(recordId: string): Promise<AuditEntry[]> {
    return this.collection.find({ recordId }).sort({ at: 1 }).toArray();
  }
}
