// Retention: every kind of record a service keeps about a child has a period, counted from
// the moment the record stops being in use (a plan closed, an assessment completed), with a
// default the service names and an override per municipality. When the period has run out,
// the sweep hands the record to the archiving hook (public records go to the national
// archives before they may be deleted), and only after the hook succeeded deletes or
// anonymises it, logs the disposal in the audit log and publishes
// dk.spor.privacy.retention.disposed.v1. A child under legal hold keeps everything.
import type { Collection, Db, Document, Filter } from 'mongodb';
import type { Logger } from 'pino';
import { servicePrincipal, type AuditLog } from '@spor/audit';
import { WITHOUT_OUTBOX, deletePublished, documentLockKey, outboxForInsert, topicFor, withPendingEvents, type KeyedMutex, type OutboxRelay, type SchemaRegistry, type SporEvent } from '@spor/events';
import { createHash, randomUUID } from 'node:crypto';
import { AppError, conflict } from '@spor/service-kit';
import type { ArchiveHook } from './archive.js';
import type { LegalHolds } from './legal-hold.js';
import { SweepLease } from './sweep-lease.js';

export const RETENTION_EVENT_TYPE = 'dk.spor.privacy.retention.disposed.v1';
// As AUDIT_TOPIC: the name events are published to, namespace included.
export const RETENTION_TOPIC = topicFor('privacy', 'retention');
const DAY_MS = 86_400_000;
/** A record's first disposal; a record re-created under the same id gets a disposal of its own (see `openDisposalId`). */
const disposalId = (kind: string, recordId: string) => `${kind}:${recordId}`;

/** A record whose retention clock has started. */
export interface RetentionCandidate {
  id: string;
  municipalityId: string;
  childId?: string;
  /** When the retention period began (closure, completion). */
  retainedFrom: Date;
  /** The record as it is archived (without outbox fields). */
  record: Document;
  /**
   * The stored record's version as archived, for a kind whose records have one (aggregates:
   * `aggregateCandidates` sets it). Kept with the disposal and handed to `dispose`, so that
   * finishing the disposal later deletes this version only, never a change or a re-creation made
   * since, which the archive has not seen.
   */
  version?: number;
}

export type Disposal = 'deleted' | 'anonymised';

/** The SHA-256 of a record as the archive would have written it (its JSON). */
export const fingerprint = (record: Document): string => createHash('sha256').update(JSON.stringify(record)).digest('hex');

/** One kind of record a service keeps, and how it leaves. */
export interface RetainedKind {
  kind: string;
  /** What parents and the data-protection officer read: what it is and when the clock starts. */
  description: string;
  defaultDays: number;
  /** Public records (offentlige arkivalier) must reach the national archives before deletion. */
  publicRecord: boolean;
  /**
   * What the archive keeps of a record: the record (`record`), or only its SHA-256 with the
   * disposal's facts (`fingerprint`), so that a record that is deleted at the end of its period
   * is not kept on in the archive, while a copy found later can still be matched to it. Default:
   * the record for a public record, the fingerprint otherwise. A kind whose `record` is already
   * the reduced entry it means to keep (identity's) names `record`.
   */
  archives?: 'record' | 'fingerprint';
  /**
   * Records whose clock started at or before `startedBy` (a superset is fine: the sweep checks
   * each); with `childId`, that child's (disposeChild: a kind that can look them up by the child
   * spares a read of the whole collection for each child who leaves).
   */
  candidates(startedBy: Date, childId?: string): Promise<RetentionCandidate[]>;
  /** The child's records of this kind, with when their clock started (null while in use). */
  ofChild(childId: string): Promise<{ id: string; retainedFrom: Date | null }[]>;
  /**
   * Deletes or anonymises one record; repeatable (a second call after a crash finds nothing to do).
   * `kept`: the record is in use again since the sweep chose it (a consent granted again, a child
   * placed again); its disposal is called off, and its clock starts over when it stops being used.
   * `retainedFrom` and `version`: the state that was archived (kept with the disposal, so also
   * after a restart; `version` absent for a kind without versions, or a disposal archived before
   * versions were kept). A record stored now that is not that state (changed since, or deleted
   * and re-created under the same id) was never archived: it must not be deleted, and the hook
   * answers `kept` (it is archived afresh when its own period runs out). Aggregates pass both to
   * `disposeAggregate`; a plain collection filters on what identifies the archived state (the
   * clock's field, say).
   */
  dispose(id: string, retainedFrom: Date, version?: number): Promise<Disposal | 'kept'>;
  /**
   * Events of the service's own contract that say the record is gone, for consumers that follow
   * the record's own topic (identity's dk.spor.identity.person.removed.v1). Made when the record is
   * archived (it still exists then), kept with the disposal, and published with the disposal event
   * once the record is disposed of: never before, never lost.
   */
  announce?(candidate: RetentionCandidate): Promise<SporEvent[]>;
}

interface PolicyDoc {
  _id: string;
  municipalityId: string;
  kind: string;
  days: number;
  setBy: string;
  setAt: Date;
}

interface DisposalDoc {
  _id: string;
  kind: string;
  recordId: string;
  municipalityId: string;
  childId?: string;
  retainedFrom: Date;
  /** The archived record's version (RetentionCandidate.version): finishing deletes this version only. */
  recordVersion?: number;
  /**
   * The SHA-256 of the record as archived (`fingerprint`), whatever the hook keeps: the package
   * (or the record in it) can be matched to this disposal even if the reference no longer leads
   * to it. Absent in disposals archived before it was kept.
   */
  recordSha256?: string;
  archiveRef: string;
  status: 'archived' | 'disposed';
  disposal?: 'deleted' | 'anonymised';
  disposedAt?: Date;
  /** The kind's own events about the disposal (RetainedKind.announce), published with the disposal event. */
  announced?: SporEvent[];
  /** Why it goes, as logged: `retention-expired`, or the purpose of a disposal asked for now (`disposeNow`). */
  purpose?: string;
}

/** Later than any clock a record can have (the largest date JavaScript represents). */
const LAST_DATE = new Date(8.64e15);

/** The purpose of the sweep's disposals in the audit log. */
export const RETENTION_EXPIRED = 'retention-expired';

export interface RetentionOptions {
  service: string;
  db: Db;
  kinds: RetainedKind[];
  archive: ArchiveHook;
  holds: LegalHolds;
  audit: AuditLog;
  registry: SchemaRegistry;
  relay?: OutboxRelay;
  clock: () => Date;
  logger: Logger;
  /** How long a sweep's lease holds without renewal (default 10 minutes). */
  leaseTtlMs?: number;
  /**
   * Days a disposal stays in `retention_disposals` (the proof that a record was archived and
   * disposed of, shown in the child's export and insight) after it was disposed of. Unset: kept.
   */
  disposalLogDays?: number;
}

export interface SweepResult {
  archived: number;
  disposed: number;
  held: number;
  failed: number;
  /**
   * Archived, then found in use again, or no longer the state archived (changed or re-created
   * since): not disposed of (RetainedKind.dispose answered `kept`).
   */
  kept: number;
  /** Present when this replica did not sweep: another one holds the lease, or took it over meanwhile. */
  skipped?: 'another replica is sweeping' | 'lease lost to another replica';
}

export class Retention {
  static collections = ['retention_policies', 'retention_disposals', SweepLease.collection];
  private readonly policies: Collection<PolicyDoc>;
  private readonly disposals: Collection<DisposalDoc>;
  private readonly lease: SweepLease;

  constructor(private readonly options: RetentionOptions) {
    this.policies = options.db.collection('retention_policies');
    this.disposals = options.db.collection('retention_disposals');
    this.lease = new SweepLease(options.db.collection(SweepLease.collection), options.leaseTtlMs);
  }

  async init(): Promise<void> {
    await this.policies.createIndex({ municipalityId: 1 });
    await this.disposals.createIndex({ hasPending: 1 });
    await this.disposals.createIndex({ status: 1 });
    this.options.relay?.watch(this.disposals);
  }

  get kinds(): RetainedKind[] {
    return this.options.kinds;
  }

  kind(name: string): RetainedKind | undefined {
    return this.options.kinds.find((k) => k.kind === name);
  }

  /** The period of every kind in one municipality: the service's default or the municipality's own. */
  async periods(municipalityId: string): Promise<{ kind: string; description: string; days: number; defaultDays: number; publicRecord: boolean; overridden: boolean }[]> {
    const own = new Map((await this.policies.find({ municipalityId }).toArray()).map((p) => [p.kind, p.days]));
    return this.options.kinds.map((k) => ({ kind: k.kind, description: k.description, days: own.get(k.kind) ?? k.defaultDays, defaultDays: k.defaultDays, publicRecord: k.publicRecord, overridden: own.has(k.kind) }));
  }

  async setPeriod(municipalityId: string, kind: string, days: number, by: string): Promise<void> {
    await this.policies.updateOne({ _id: `${municipalityId}:${kind}` }, { $set: { municipalityId, kind, days, setBy: by, setAt: this.options.clock() } }, { upsert: true });
  }

  /** When a record of this kind, retained from `from`, may be disposed of in the municipality. */
  async expiresOn(municipalityId: string, kind: string, from: Date): Promise<Date> {
    const days = (await this.periods(municipalityId)).find((p) => p.kind === kind)!.days;
    return new Date(from.getTime() + days * DAY_MS);
  }

  /**
   * One sweep, by one replica at a time (SweepLease): finishes disposals a crash interrupted,
   * then archives and disposes of what expired. A replica that finds the lease taken skips.
   */
  async sweep(): Promise<SweepResult> {
    if (!(await this.lease.acquire())) return { archived: 0, disposed: 0, held: 0, failed: 0, kept: 0, skipped: 'another replica is sweeping' };
    try {
      return await this.sweepHolding();
    } finally {
      await this.lease.release();
    }
  }

  private async sweepHolding(): Promise<SweepResult> {
    const result: SweepResult = { archived: 0, disposed: 0, held: 0, failed: 0, kept: 0 };
    const lost = () => {
      this.options.logger.warn({ ...result }, 'retention: another replica took the sweep lease over; this sweep stops');
      return { ...result, skipped: 'lease lost to another replica' as const };
    };
    /** Archived records whose disposal failed again just now, or waits for a hold: not archived once more in this sweep. */
    const stuck = new Set<string>();
    for (const interrupted of await this.disposals.find({ status: 'archived' }).toArray()) {
      if (!(await this.lease.keep())) return lost();
      const kind = this.kind(interrupted.kind);
      if (!kind) continue;
      // A hold placed after the record was archived stops its deletion too: it stays archived,
      // and is finished once the hold is released.
      if (interrupted.childId && (await this.options.holds.isHeld(interrupted.childId))) {
        result.held++;
        stuck.add(disposalId(interrupted.kind, interrupted.recordId));
        continue;
      }
      try {
        result[(await this.finish(kind, interrupted)) === 'kept' ? 'kept' : 'disposed']++;
      } catch (error) {
        // One record that cannot be disposed of yet (events still unpublished) must not stop
        // the sweep for every other record: it is tried again at the next sweep.
        result.failed++;
        stuck.add(disposalId(interrupted.kind, interrupted.recordId));
        this.options.logger.error({ err: error, kind: kind.kind, recordId: interrupted.recordId }, 'retention: disposing of an archived record failed; tried again at the next sweep');
      }
    }
    const now = this.options.clock();
    const overrides = await this.policies.find({}).toArray();
    const periodCache = new Map<string, number>();
    for (const kind of this.options.kinds) {
      const shortest = Math.min(kind.defaultDays, ...overrides.filter((o) => o.kind === kind.kind).map((o) => o.days));
      for (const candidate of await kind.candidates(new Date(now.getTime() - shortest * DAY_MS))) {
        const key = `${candidate.municipalityId}:${kind.kind}`;
        if (!periodCache.has(key)) periodCache.set(key, overrides.find((o) => o._id === key)?.days ?? kind.defaultDays);
        const expiresAt = candidate.retainedFrom.getTime() + periodCache.get(key)! * DAY_MS;
        if (expiresAt > now.getTime() || stuck.has(disposalId(kind.kind, candidate.id))) continue;
        if (!(await this.lease.keep())) return lost();
        if (candidate.childId && (await this.options.holds.isHeld(candidate.childId))) {
          result.held++;
          continue;
        }
        try {
          const disposal = await this.archive(kind, candidate, new Date(expiresAt));
          result.archived++;
          result[(await this.finish(kind, disposal)) === 'kept' ? 'kept' : 'disposed']++;
        } catch (error) {
          // The record stays: nothing is deleted that did not reach the archive.
          result.failed++;
          this.options.logger.error({ err: error, kind: kind.kind, recordId: candidate.id }, 'retention: archiving failed; the record is kept and tried again at the next sweep');
        }
      }
    }
    if (result.archived + result.disposed + result.failed + result.kept > 0) this.options.logger.info({ ...result }, 'retention sweep');
    await this.pruneDisposalLog(now);
    return result;
  }

  /**
   * Removes disposals older than the municipality's proof period (RETENTION_DISPOSAL_LOG_DAYS),
   * once their events are published. A failure leaves them for the next sweep: the sweep's own
   * work is done already.
   */
  private async pruneDisposalLog(now: Date): Promise<void> {
    const days = this.options.disposalLogDays;
    if (days === undefined) return;
    const filter = { status: 'disposed' as const, disposedAt: { $lt: new Date(now.getTime() - days * DAY_MS) } };
    try {
      const before = await this.disposals.countDocuments(filter);
      if (before === 0) return;
      await deletePublished(this.disposals as never, filter, 'a disposal older than the proof period');
      this.options.logger.info({ pruned: before, days }, 'retention: old disposals pruned');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'retention: pruning old disposals failed; tried again at the next sweep');
    }
  }

  /**
   * Disposes of every record this service keeps about a child whose entry left the directory
   * (dk.spor.identity.person.removed.v1, through DirectoryView.alsoForget): without the entry the
   * records can no longer be exported, shown to the parents or held, so they go with it, the
   * same way as one record disposed of now (archived first, deleted, logged with `purpose`,
   * published). A legal hold keeps them all; a record that cannot go yet (its events still wait
   * for the relay, a write in between) is left to its own period. Answers how many went.
   */
  async disposeChild(childId: string, purpose: string): Promise<number> {
    if (await this.options.holds.isHeld(childId)) {
      this.options.logger.warn({ childId, purpose }, 'retention: a child under a legal hold left the directory; its records are kept until the hold is released');
      return 0;
    }
    let disposed = 0;
    for (const kind of this.options.kinds) {
      // Every record of the child whose clock has started, whenever it would run out.
      const mine = (await kind.candidates(LAST_DATE, childId)).filter((c) => c.childId === childId);
      for (const candidate of mine) {
        try {
          await this.disposeNow(kind.kind, candidate, purpose);
          disposed++;
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'RECORD_IN_USE') throw error;
          this.options.logger.warn({ kind: kind.kind, recordId: candidate.id, childId }, 'retention: a record of a child who left the directory came into use as it was disposed of; it is left to its own period');
        }
      }
    }
    return disposed;
  }

  /**
   * Disposes of one record now, before its period has run out: identity's erasure of an entry
   * registered in error. The same steps as the sweep (archived first, then deleted, logged with
   * `purpose`, published), so nothing is lost and every keeper of the record hears of it. A child
   * under a legal hold keeps it (409 LEGAL_HOLD).
   */
  async disposeNow(kindName: string, candidate: RetentionCandidate, purpose: string): Promise<Disposal> {
    const kind = this.kind(kindName);
    if (!kind) throw new Error(`${this.options.service} retains no kind ${kindName}`);
    if (candidate.childId && (await this.options.holds.isHeld(candidate.childId))) throw conflict('LEGAL_HOLD', `child ${candidate.childId} is under a legal hold: nothing of it is disposed of until the hold is released`);
    let disposal: DisposalDoc;
    try {
      disposal = await this.archive(kind, candidate, this.options.clock(), purpose);
    } catch (error) {
      this.options.logger.error({ err: error, kind: kind.kind, recordId: candidate.id }, 'retention: archiving a record disposed of now failed; nothing was deleted');
      throw new AppError({ status: 503, code: 'ARCHIVE_UNAVAILABLE', title: 'The archive did not accept the record', detail: `${kind.kind} ${candidate.id} was not archived, so nothing was deleted; try again once the archive (ARCHIVE_DIR) is writable` });
    }
    let outcome: Disposal | 'kept';
    try {
      outcome = await this.finish(kind, disposal);
    } catch (error) {
      // Archived: the next sweep finishes it (an interrupted disposal), so it is not asked again.
      this.options.logger.error({ err: error, kind: kind.kind, recordId: candidate.id }, 'retention: a record disposed of now was archived but not yet deleted; the next sweep finishes it');
      throw new AppError({ status: 503, code: 'DISPOSAL_UNFINISHED', title: 'Archived, not yet deleted', detail: `${kind.kind} ${candidate.id} is archived; its deletion is finished by the next retention sweep` });
    }
    if (outcome === 'kept') throw conflict('RECORD_IN_USE', `${kind.kind} ${candidate.id} came into use while it was disposed of; it is kept`);
    return outcome;
  }

  private async archive(kind: RetainedKind, candidate: RetentionCandidate, expiredOn: Date, purpose = RETENTION_EXPIRED): Promise<DisposalDoc> {
    const recordSha256 = fingerprint(candidate.record);
    const archiveRef = await this.options.archive.archive({
      service: this.options.service,
      kind: kind.kind,
      recordId: candidate.id,
      municipalityId: candidate.municipalityId,
      ...(candidate.childId ? { childId: candidate.childId } : {}),
      publicRecord: kind.publicRecord,
      retainedFrom: candidate.retainedFrom.toISOString(),
      expiredOn: expiredOn.toISOString(),
      archivedAt: this.options.clock().toISOString(),
      ...((kind.archives ?? (kind.publicRecord ? 'record' : 'fingerprint')) === 'record' ? { record: candidate.record } : { recordSha256 }),
    });
    const announced = (await kind.announce?.(candidate)) ?? [];
    for (const e of announced) this.options.registry.assertValid(e);
    const doc: DisposalDoc = {
      _id: await this.openDisposalId(kind.kind, candidate.id),
      kind: kind.kind,
      recordId: candidate.id,
      municipalityId: candidate.municipalityId,
      ...(candidate.childId ? { childId: candidate.childId } : {}),
      retainedFrom: candidate.retainedFrom,
      ...(candidate.version !== undefined ? { recordVersion: candidate.version } : {}),
      recordSha256,
      archiveRef,
      status: 'archived',
      ...(announced.length > 0 ? { announced } : {}),
      ...(purpose !== RETENTION_EXPIRED ? { purpose } : {}),
    };
    await this.disposals.replaceOne({ _id: doc._id }, { ...doc, ...outboxForInsert([]) }, { upsert: true });
    await this.options.audit.record(servicePrincipal(this.options.service), { action: 'archive', recordType: kind.kind, recordId: candidate.id, municipalityId: candidate.municipalityId, purpose, ...(candidate.childId ? { childId: candidate.childId } : {}) });
    return doc;
  }

  /**
   * The id the record's disposal is written under. An unfinished one (archived again after a crash,
   * or by disposeNow before the sweep finished it) is replaced. A finished one is the proof of an
   * earlier record under the same id (an imported test result imported again after its child left,
   * say): it stays, with its events, and this disposal gets an id of its own.
   */
  private async openDisposalId(kind: string, recordId: string): Promise<string> {
    const open = await this.disposals.findOne({ status: 'archived', kind, recordId }, { projection: { _id: 1 } });
    if (open) return open._id;
    const first = disposalId(kind, recordId);
    return (await this.disposals.findOne({ _id: first }, { projection: { _id: 1 } })) ? `${first}:${randomUUID()}` : first;
  }

  /** Deletes or anonymises an archived record, then logs and publishes that it is gone. */
  private async finish(kind: RetainedKind, doc: DisposalDoc): Promise<Disposal | 'kept'> {
    // Only the state archived: a disposal finished sweeps later (it stalled, or its audit entry
    // failed) must not delete a correction or a re-creation under the same id made meanwhile.
    const disposal = await kind.dispose(doc.recordId, doc.retainedFrom, doc.recordVersion);
    if (disposal === 'kept') {
      // Nothing was deleted and nothing is announced. The archive keeps its copy of the record as
      // it stood; the record itself lives on and is archived again when its clock runs out anew.
      await this.disposals.deleteOne({ _id: doc._id, status: 'archived' });
      this.options.logger.info({ kind: kind.kind, recordId: doc.recordId, archivedVersion: doc.recordVersion }, 'retention: the record came into use again, or is no longer the one archived (changed or re-created since); kept');
      return 'kept';
    }
    const at = this.options.clock();
    await this.options.audit.record(servicePrincipal(this.options.service), { action: disposal === 'deleted' ? 'delete' : 'anonymise', recordType: kind.kind, recordId: doc.recordId, municipalityId: doc.municipalityId, purpose: doc.purpose ?? RETENTION_EXPIRED, ...(doc.childId ? { childId: doc.childId } : {}) });
    const event = this.event(kind, doc, disposal, at);
    // Read back from the store after a crash, they are validated again before they may be published.
    const announced = doc.announced ?? [];
    for (const e of announced) this.options.registry.assertValid(e);
    await this.disposals.updateOne({ _id: doc._id, status: 'archived' }, withPendingEvents({ $set: { status: 'disposed', disposal, disposedAt: at } }, [event, ...announced]));
    this.options.relay?.notify('retention_disposals', doc._id);
    return disposal;
  }

  private event(kind: RetainedKind, doc: DisposalDoc, disposal: 'deleted' | 'anonymised', at: Date): SporEvent {
    const event: SporEvent = {
      specversion: '1.0',
      id: randomUUID(),
      source: `spor/${this.options.service}`,
      type: RETENTION_EVENT_TYPE,
      subject: doc.recordId,
      ...(doc.childId ? { partitionkey: doc.childId } : {}),
      time: at.toISOString(),
      datacontenttype: 'application/json',
      municipalityid: doc.municipalityId,
      aggregateversion: 1,
      data: { service: this.options.service, recordKind: kind.kind, recordId: doc.recordId, ...(doc.childId ? { childId: doc.childId } : {}), disposal, retainedFrom: doc.retainedFrom.toISOString(), archived: true, publicRecord: kind.publicRecord },
    };
    this.options.registry.assertValid(event);
    return event;
  }

  /** The disposals of one child's records (for the export and the insight). */
  disposalsOf(childId: string): Promise<DisposalDoc[]> {
    return this.disposals.find({ childId }, { projection: { ...WITHOUT_OUTBOX, announced: 0 } }).toArray();
  }
}

/**
 * The candidates of an aggregate collection: documents matching `filter` (equality only: FerretDB
 * reads ranges slowly, so the date is compared here) whose clock started by `startedBy`, leaving
 * out any with events still waiting for the relay (deleting it would lose them; the next sweep
 * takes it). `clockOf` says whose record it is and when its clock started (null: not yet).
 */
export async function aggregateCandidates<T extends { _id: string; municipalityId: string }>(
  collection: Collection<T>,
  filter: Filter<T>,
  startedBy: Date,
  clockOf: (doc: T) => { childId?: string; retainedFrom: Date | null },
): Promise<RetentionCandidate[]> {
  const candidates: RetentionCandidate[] = [];
  for (const doc of (await collection.find(filter).toArray()) as (T & { hasPending?: boolean })[]) {
    const { childId, retainedFrom } = clockOf(doc);
    if (!retainedFrom || retainedFrom > startedBy || doc.hasPending) continue;
    const { pendingEvents: _e, outboxSeq: _s, hasPending: _h, ...record } = doc as Document;
    const { version } = doc as { version?: unknown };
    candidates.push({ id: doc._id, municipalityId: doc.municipalityId, ...(childId ? { childId } : {}), retainedFrom, record, ...(typeof version === 'number' ? { version } : {}) });
  }
  return candidates;
}

/**
 * Disposes of one aggregate document of a retained kind (its `dispose`): deleted, unless it came
 * into use again since the sweep chose it (`inUse`: a consent granted again, a child placed
 * again), or is no longer the state archived (`archived`: another version, or, with `clockOf`,
 * a clock that started elsewhere, as a consent deleted and asked for again under the same id at
 * version 1 has). That one was never archived: it is kept, and archived afresh when its own
 * period runs out. Under the lock the aggregate's writers take, and only at the version archived
 * (without one, the version read), so a write of another process in between is not deleted with
 * it (that throws; the sweep tries again). A document whose events still wait for the relay is
 * kept too (deletePublished). Repeatable: a document already gone counts as deleted.
 */
export async function disposeAggregate<T extends { _id: string; version: number }>(
  collection: Collection<T>,
  id: string,
  options: {
    locks: KeyedMutex;
    what: string;
    inUse?: (doc: T) => boolean;
    /** The state archived (RetainedKind.dispose's `retainedFrom` and `version`). */
    archived?: { retainedFrom: Date; version?: number | undefined };
    /** When the document's clock started, as its kind's candidates count it (null: in use). */
    clockOf?: (doc: T) => Date | null;
  },
): Promise<'deleted' | 'kept'> {
  return options.locks.run(documentLockKey(collection.collectionName, id), async () => {
    const doc = (await collection.findOne({ _id: id } as Filter<T>)) as T | null;
    if (!doc) return 'deleted';
    if (options.inUse?.(doc)) return 'kept';
    const { archived, clockOf } = options;
    if (archived && (!isArchivedVersion(doc, archived.version) || (clockOf && clockOf(doc)?.getTime() !== archived.retainedFrom.getTime()))) return 'kept';
    await deletePublished(collection as never, { _id: id, version: archived?.version ?? doc.version } as never, options.what);
    if (await collection.findOne({ _id: id } as Filter<T>, { projection: { _id: 1 } })) throw new Error(`${options.what} was changed while it was disposed of; tried again at the next sweep`);
    return 'deleted';
  });
}

/** A disposal archived before versions were kept names none: then the clock alone tells. */
const isArchivedVersion = (doc: { version: number }, version: number | undefined) => version === undefined || doc.version === version;
