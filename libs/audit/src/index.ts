// Who read or changed personal data, when, with which roles, and why: an append-only
// collection in each service's own database. Entries name records by pseudonymous id only.
// (The suite-wide format, hash-chained and shipped as spor.audit.access.v1, is issue 12's.)
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Principal } from '@spor/auth';

export interface AuditEntry {
  _id: string;
  at: Date;
  /** The person's pseudonymous id, or a service's client id. */
  actor: string;
  actorKind: Principal['kind'];
  roles: string[];
  municipalityId: string;
  /** What was done: read, create, update, complete, amend, share, read-cpr, lookup-cpr, import, ... */
  action: string;
  recordType: string;
  recordId: string | null;
  /** The child the record concerns, so a child's (or parent's) access report is one query. */
  childId?: string;
  purpose?: string;
}

export class AuditLog {
  static collection = 'audit_log';
  private readonly collection: Collection<AuditEntry>;
  /** Entries waiting for the next group write, each with the request that waits for it. */
  private queue: { entry: AuditEntry; done: (error?: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;

  constructor(db: Db) {
    this.collection = db.collection(AuditLog.collection);
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ recordId: 1, at: 1 });
    await this.collection.createIndex({ childId: 1, at: 1 });
  }

  /**
   * Writes the entry; resolves once it is stored, so a request never answers before its audit
   * entry is kept. Entries that arrive while a write is under way go together in the next one
   * (group commit): one round trip for many concurrent requests.
   */
  record(principal: Principal, entry: Pick<AuditEntry, 'action' | 'recordType' | 'recordId'> & Partial<Pick<AuditEntry, 'childId' | 'purpose'>>): Promise<void> {
    const full: AuditEntry = {
      _id: randomUUID(),
      at: new Date(),
      actor: principal.subject,
      actorKind: principal.kind,
      roles: principal.roles.map((r) => `${r.role}@${r.unitId}`),
      municipalityId: principal.municipalityId,
      ...entry,
    };
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entry: full, done: (error) => (error ? reject(error as Error) : resolve()) });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.collection.insertMany(batch.map((b) => b.entry), { ordered: false });
        for (const b of batch) b.done();
      } catch (error) {
        for (const b of batch) b.done(error);
      }
    }
    this.flushing = undefined;
  }

  forRecord(recordId: string): Promise<AuditEntry[]> {
    return this.collection.find({ recordId }).sort({ at: 1 }).toArray();
  }

  forChild(childId: string): Promise<AuditEntry[]> {
    return this.collection.find({ childId }).sort({ at: 1 }).toArray();
  }
}
