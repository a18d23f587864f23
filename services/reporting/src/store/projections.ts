// reporting's pseudonymous projections: one document per subject (a child, or a group-level plan
// or case) folded from the other services' events, and figure cells per (institution or group,
// month) that the figures read. No CPR, no names, no free text ever reaches this store.
//
// Live: an event changes its subject; the difference between the subject's contributions before
// and after is written inside the subject's own document (one write, like the outbox of decision
// 0003), then added to the cells, then cleared. A crash in between leaves the change pending; it
// is finished at start, or before the subject's next change. Each cell keeps, per subject, the
// newest change it holds (`last`: the subject's revision, under the random key of the subject's
// lifetime, never the child's id), and takes a change only if it is newer. A subject's changes reach the cells in order
// (the next is made only once the one before is finished), so this holds however long a change
// stays pending, where a window of the last change ids did not.
//
// Disposals (dk.spor.privacy.retention.disposed.v1 on spor.privacy.retention.v1): a record a
// source service disposed of by retention leaves its child's subject for a `report_disposed`
// document keyed by the record (never the child), holding its facts and its residue (what it adds
// to the cells on top of the rest of its subject). The cells are not touched, so no figure changes.
// That document is the durable record of disposed ids: every assessment or plan event looks for it
// first, and an event of a disposed record is folded into it instead of the child's subject, with
// the change of its residue added to the cells. So a disposal handled before the record's own
// events (other topics, any order), a redelivery, or a replay never put the child's id back.
// A record event checks again after writing the subject, so a disposal written meanwhile (another
// replica) still takes the record out: either the disposal reads the subject after the record is
// in it, or the record's handler reads the disposal after it is stored.
//
// A child identity disposed of (its entry's retention ran out, recordKind child-person) leaves
// entirely: its subject is replaced by a bare marker (`gone`, no placements, no birth month, no
// records), the cells keep what it added, and every later event of the child finds the marker
// and is not counted (the subject is read anyway, so this costs no extra read).
//
// Rebuild: the topics are folded into subjects in memory and written at once into emptied
// collections with inserts (FerretDB 1.x applies updates one by one and hangs on a bulk update of
// about 50 statements; inserts are batched), so a replay runs at the rate the benchmark prints.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Logger } from 'pino';
import { isDuplicateKeyError } from '@spor/mongo';
import { topicFor, type EventHandler, type SporEvent } from '@spor/events';
import { HANDLED_TYPES, applyEvent, emptySubject, subjectOf, type Subject } from '../domain/subject.js';
import { addInto, contributionsOf, difference, type Contributions } from '../domain/contributions.js';
import {
  RETENTION_DISPOSED,
  disposalKey,
  factOf,
  fieldOf,
  isChildEntryDisposal,
  isEmptySubject,
  recordOfDisposal,
  recordOfEvent,
  RECORD_KINDS,
  residueOf,
  subjectOfDisposal,
  withRecord,
  withoutRecord,
  type RecordFact,
  type RecordField,
  type RecordRef,
} from '../domain/disposal.js';

/** FerretDB 1.x stores no arrays of arrays: one object per cell. */
export interface CellChanges {
  id: string;
  cells: { cell: string; inc: Record<string, number> }[];
  /**
   * Whose change it is and which: the key of its subject (or disposed record) and the revision
   * the change was made at. Absent on changes made before cells kept `last`: those are guarded by
   * their id in the cell's `applied` (no longer added to, so it still holds them).
   */
  by?: { key: string; rev: number };
}

export interface SubjectDoc extends Subject {
  rev: number;
  /**
   * The random key of the subject's lifetime, under which cells keep its newest change: not the
   * child's id, which cells never hold. A subject emptied by disposals is deleted, and one made
   * again later for the same id counts its revisions from 1 under a key of its own.
   */
  born?: string;
  pending?: CellChanges;
  /** A child identity disposed of: the document holds nothing else (see the top of this file). */
  gone?: true;
}

/** What stays of a child identity disposed of: its id, so its later events are not counted, and nothing else. */
const goneMarker = (childId: string, municipalityId: string, rev: number) => ({ _id: childId, municipalityId, gone: true, rev }) as unknown as SubjectDoc;

/**
 * A record disposed of at its source: the durable record of its id, and (once its events were
 * seen) its facts and what they add to the cells. Never the child's id.
 */
export interface DisposedDoc {
  /** `${municipalityId}|${service}|${recordKind}|${recordId}` */
  _id: string;
  municipalityId: string;
  service: string;
  recordKind: string;
  recordId: string;
  /** When the source disposed of it (the event's time). */
  disposedAt: string;
  rev: number;
  held?: { field: RecordField; fact: RecordFact; residue: CellChanges['cells'] };
  pending?: CellChanges;
}

export interface CellDoc {
  _id: string;
  municipalityId: string;
  institutionId: string;
  groupId: string | null;
  month: string;
  c: Record<string, number>;
  /** Per subject key (CellChanges.by), the revision of the newest change added. */
  last?: Record<string, number>;
  /** The ids of the last changes added before `last` was kept. */
  applied?: string[];
}

/**
 * A municipality's month has a revision token, replaced after every write to its cells (live or
 * rebuild). Readers read the tokens before the cells, so figures cached under a token are never
 * older than the cells that token stands for; see `FigureCache`.
 */
export interface RevisionDoc {
  _id: string;
  municipalityId: string;
  month: string;
  token: string;
}

const INSERT_CHUNK = 500;
const CELL_WRITERS = 6;

export class Projections {
  static collections = ['report_subjects', 'report_cells', 'report_revisions', 'report_disposed'];
  readonly subjects: Collection<SubjectDoc>;
  readonly cells: Collection<CellDoc>;
  readonly revisions: Collection<RevisionDoc>;
  readonly disposed: Collection<DisposedDoc>;

  constructor(db: Db) {
    this.subjects = db.collection('report_subjects');
    this.cells = db.collection('report_cells');
    this.revisions = db.collection('report_revisions');
    this.disposed = db.collection('report_disposed');
  }

  async init(): Promise<void> {
    await this.cells.createIndex({ municipalityId: 1, month: 1 });
    await this.subjects.createIndex({ pending: 1 });
    await this.disposed.createIndex({ pending: 1 });
  }

  topics(): string[] {
    return [
      topicFor('identity', 'person'),
      topicFor('transitions', 'enrollment'),
      topicFor('transitions', 'handover'),
      topicFor('assessments', 'assessment'),
      topicFor('action-plans', 'plan'),
      topicFor('action-plans', 'resource-case'),
      topicFor('privacy', 'retention'),
    ];
  }

  /** Live handlers: one event at a time, crash-safe and idempotent. */
  handlers(): Record<string, EventHandler> {
    const handler: EventHandler = (event) => this.apply(event);
    return { ...Object.fromEntries(HANDLED_TYPES.map((type) => [type, handler])), [RETENTION_DISPOSED]: (event) => this.dispose(event) };
  }

  async apply(event: SporEvent): Promise<void> {
    const id = subjectOf(event);
    if (!id) return;
    const record = recordOfEvent(event);
    if (record) {
      const disposed = await this.disposed.findOne({ _id: record.key });
      if (disposed) return this.applyDisposed(record, id, event);
    }
    let doc = await this.subjects.findOne({ _id: id });
    if (doc?.gone) return;
    if (doc?.pending) {
      await this.finish(doc);
      doc = await this.subjects.findOne({ _id: id });
    }
    const subject: Subject = doc ? strip(doc) : emptySubject(id, event.municipalityid);
    const before = contributionsOf(subject);
    if (!applyEvent(subject, event)) return;
    const delta = difference(before, contributionsOf(subject));
    const rev = (doc?.rev ?? 0) + 1;
    const born = doc?.born ?? randomUUID().replaceAll('-', '');
    const pending = changesOf(delta, { key: born, rev });
    const next: SubjectDoc = { ...subject, rev, born, ...(pending ? { pending } : {}) };
    if (doc) {
      const result = await this.subjects.replaceOne({ _id: id, rev: doc.rev }, next);
      if (result.matchedCount === 0) throw new Error(`subject ${id} changed while applying ${event.id}`);
    } else {
      await this.subjects.insertOne(next);
    }
    if (next.pending) await this.finish(next);
    // A disposal stored while this event was applied (another replica) found the subject without
    // the record: take it out now.
    if (record?.field && (await this.disposed.findOne({ _id: record.key }))) await this.moveOut(record, id);
  }

  /**
   * dk.spor.privacy.retention.disposed.v1: remembers the record as disposed (before anything else,
   * so every later event of it is routed away from the child), then moves it out of its subject.
   * Repeatable: a redelivery finds the record remembered and the subject without it.
   */
  async dispose(event: SporEvent): Promise<void> {
    const record = recordOfDisposal(event);
    const doc = disposedDocOf(event);
    try {
      await this.disposed.insertOne(doc);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    if (isChildEntryDisposal(record)) return this.forgetChild(record.recordId, event.municipalityid);
    // A kind reporting keeps nothing of (consent, transitions' enrollment, later kinds): remembered only.
    if (!record.field) return;
    const subjectId = subjectOfDisposal(record) ?? (await this.subjects.findOne({ municipalityId: event.municipalityid, [`${record.field}.${record.recordId}`]: { $exists: true } }, { projection: { _id: 1 } }))?._id;
    if (subjectId) await this.moveOut(record, subjectId);
  }

  /**
   * A child identity disposed of: its subject becomes a marker holding nothing but its id. The
   * cells keep what the subject added, so no figure changes. Repeatable; a write by another
   * replica in between makes it fail and be retried.
   */
  private async forgetChild(childId: string, municipalityId: string): Promise<void> {
    let doc = await this.subjects.findOne({ _id: childId });
    if (doc?.gone) return;
    if (doc && doc.municipalityId !== municipalityId) return;
    if (doc?.pending) {
      await this.finish(doc);
      doc = await this.subjects.findOne({ _id: childId });
    }
    if (!doc) {
      try {
        // A child with nothing here yet: the marker still keeps its later events out.
        await this.subjects.insertOne(goneMarker(childId, municipalityId, 1));
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        return this.forgetChild(childId, municipalityId);
      }
      return;
    }
    const result = await this.subjects.replaceOne({ _id: childId, rev: doc.rev }, goneMarker(childId, municipalityId, doc.rev + 1));
    if (result.matchedCount === 0) throw new Error(`subject ${childId} changed while the child was forgotten`);
  }

  /**
   * Moves a disposed record out of its subject into its disposal document, with its residue. The
   * cells keep what the record added. The disposal document is written first: a crash in between
   * leaves the record in both, and the next try (redelivery, the record's next event) moves it again.
   */
  private async moveOut(record: RecordRef, subjectId: string): Promise<void> {
    const field = record.field!;
    let doc = await this.subjects.findOne({ _id: subjectId });
    if (doc?.pending) {
      await this.finish(doc);
      doc = await this.subjects.findOne({ _id: subjectId });
    }
    if (!doc || doc.gone) return;
    const full = strip(doc);
    const fact = factOf(full, field, record.recordId);
    if (!fact) return;
    const disposed = await this.disposed.findOne({ _id: record.key });
    if (!disposed || disposed.municipalityId !== full.municipalityId) return;
    // A change of its residue a crash left pending is added first (its guard is the document's revision).
    if (disposed.pending) await this.finishDisposed(disposed);
    const rest = withoutRecord(full, field, record.recordId);
    await this.disposed.updateOne({ _id: record.key }, { $set: { held: { field, fact, residue: changesOf(residueOf(rest, full))?.cells ?? [] } }, $inc: { rev: 1 } });
    const result = isEmptySubject(rest) ? await this.subjects.deleteOne({ _id: subjectId, rev: doc.rev }).then((r) => r.deletedCount) : await this.subjects.replaceOne({ _id: subjectId, rev: doc.rev }, { ...rest, rev: doc.rev + 1, ...(doc.born ? { born: doc.born } : {}) }).then((r) => r.matchedCount);
    if (result === 0) throw new Error(`subject ${subjectId} changed while a disposed record was taken out`);
  }

  /**
   * An event of a disposed record: folded into the disposal document, never into the child's
   * subject. Its residue is recomputed against the rest of the subject and the difference added to
   * the cells, so a record whose events arrive after its disposal still counts, once.
   */
  private async applyDisposed(record: RecordRef, subjectId: string, event: SporEvent): Promise<void> {
    const field = record.field!;
    // The subject may hold the record still (a crash while moving it out).
    await this.moveOut(record, subjectId);
    let disposed = (await this.disposed.findOne({ _id: record.key }))!;
    if (disposed.pending) {
      await this.finishDisposed(disposed);
      disposed = (await this.disposed.findOne({ _id: record.key }))!;
    }
    const doc = await this.subjects.findOne({ _id: subjectId });
    // The child left Spor altogether: its records' later events are not counted either.
    if (doc?.gone) return;
    const rest: Subject = doc ? strip(doc) : emptySubject(subjectId, event.municipalityid);
    const full = withRecord(rest, field, record.recordId, disposed.held?.fact);
    if (!applyEvent(full, event)) return;
    const fact = factOf(full, field, record.recordId);
    if (!fact) return;
    const residue = residueOf(rest, full);
    // A disposed record's document is never deleted: its revisions only go up.
    const pending = changesOf(difference(contributionsFrom(disposed.held?.residue ?? []), residue), { key: `disposed:${record.key}`, rev: disposed.rev + 1 });
    const { pending: _old, ...kept } = disposed;
    const next: DisposedDoc = { ...kept, rev: disposed.rev + 1, held: { field, fact, residue: changesOf(residue)?.cells ?? [] }, ...(pending ? { pending } : {}) };
    const result = await this.disposed.replaceOne({ _id: record.key, rev: disposed.rev }, next);
    if (result.matchedCount === 0) throw new Error(`disposed record changed while applying ${event.id}`);
    if (next.pending) await this.finishDisposed(next);
  }

  /** Adds a subject's pending change to the cells (each cell once per change) and clears it. */
  private async finish(doc: SubjectDoc): Promise<void> {
    if (!doc.pending) return;
    await this.addChanges(doc.municipalityId, doc.pending);
    await this.subjects.updateOne({ _id: doc._id, rev: doc.rev }, { $unset: { pending: '' } });
  }

  private async finishDisposed(doc: DisposedDoc): Promise<void> {
    if (!doc.pending) return;
    await this.addChanges(doc.municipalityId, doc.pending);
    await this.disposed.updateOne({ _id: doc._id, rev: doc.rev }, { $unset: { pending: '' } });
  }

  private async addChanges(municipalityId: string, pending: CellChanges): Promise<void> {
    // One change touches each cell once, and changes are applied one at a time: its cells can be written side by side.
    const queue = [...pending.cells];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.addToCell(municipalityId, pending, next.cell, next.inc);
    };
    await Promise.all(Array.from({ length: CELL_WRITERS }, worker));
    await this.touch(municipalityId, new Set(pending.cells.map(({ cell }) => cell.split('|')[2]!)));
  }

  private async addToCell(municipalityId: string, change: CellChanges, cell: string, inc: Record<string, number>): Promise<void> {
    const [institutionId, group, month] = cell.split('|') as [string, string, string];
    const last = change.by && `last.${change.by.key}`;
    try {
      await this.cells.updateOne(
        // Missing or older: `$not` matches both.
        last ? { _id: cell, [last]: { $not: { $gte: change.by!.rev } } } : { _id: cell, applied: { $ne: change.id } },
        {
          $inc: Object.fromEntries(Object.entries(inc).map(([key, n]) => [`c.${key}`, n])),
          $setOnInsert: { municipalityId, institutionId, groupId: group === '-' ? null : group, month },
          ...(last ? { $set: { [last]: change.by!.rev } } : { $push: { applied: { $each: [change.id], $slice: -20 } } }),
        },
        { upsert: true },
      );
    } catch (error) {
      // The cell holds this change already: the upsert tried to insert a twin.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Gives the months a new revision token: called after their cells are written. */
  async touch(municipalityId: string, months: Iterable<string>): Promise<void> {
    for (const month of months) {
      const set = () => this.revisions.updateOne({ _id: `${municipalityId}|${month}` }, { $set: { municipalityId, month, token: randomUUID() } }, { upsert: true });
      // Two writers inserting the month's first token at once: the loser sets it again (it must
      // not leave a token that was set before its own cells were written).
      await set().catch((error) => (isDuplicateKeyError(error) ? set() : Promise.reject(error)));
    }
  }

  /** The months' revision tokens, in order ('-' for a month never written). */
  async revisionsOf(municipalityId: string, months: string[]): Promise<string[]> {
    const ids = months.map((m) => `${municipalityId}|${m}`);
    const docs = ids.length === 1 ? [await this.revisions.findOne({ _id: ids[0]! })].filter((d) => d !== null) : await this.revisions.find({ _id: { $in: ids } }).toArray();
    const token = new Map(docs.map((d) => [d._id, d.token]));
    return ids.map((id) => token.get(id) ?? '-');
  }

  /** Finishes changes a crash left pending. */
  async recover(logger: Logger): Promise<void> {
    const pending = await this.subjects.find({ pending: { $exists: true } }).toArray();
    for (const doc of pending) await this.finish(doc);
    const disposed = await this.disposed.find({ pending: { $exists: true } }).toArray();
    for (const doc of disposed) await this.finishDisposed(doc);
    if (pending.length + disposed.length > 0) logger.info({ subjects: pending.length, disposedRecords: disposed.length }, 'finished pending figure changes');
  }

  /** Empties the projections before a rebuild (the record of disposed ids stays: it is not rebuilt from anything else). */
  async clear(): Promise<void> {
    await this.subjects.deleteMany({});
    await this.cells.deleteMany({});
    await this.revisions.deleteMany({});
  }

  /**
   * Writes subjects folded in memory (a rebuild) and their cells into emptied collections. Every
   * record disposed of (remembered here, or replayed from the retention topic) is first taken out
   * of its subject into its disposal document, with its residue; the cells get the residues too,
   * so the figures are those of every event, and no subject holds a disposed record.
   */
  async writeFolded(folder: Folder): Promise<{ subjects: number; cells: number; disposed: number }> {
    const disposals = new Map((await this.disposed.find({}, { projection: { held: 0, pending: 0 } }).toArray()).map((d) => [d._id, d]));
    for (const d of folder.disposals.values()) if (!disposals.has(d._id)) disposals.set(d._id, d);
    // Where each record is kept: its key → its subject.
    const keptIn = new Map<string, string>();
    for (const s of folder.subjects.values()) {
      for (const { service, recordKind, field } of RECORD_KINDS) {
        for (const recordId of Object.keys(s[field])) keptIn.set(disposalKey(s.municipalityId, service, recordKind, recordId), s._id);
      }
    }
    const total: Contributions = new Map();
    const municipalityOf = new Map<string, string>();
    const add = (contributions: Contributions, municipalityId: string) => {
      addInto(total, contributions);
      for (const cell of contributions.keys()) municipalityOf.set(cell, municipalityId);
    };
    const disposedDocs: DisposedDoc[] = [];
    for (const d of disposals.values()) {
      const field = fieldOf(d.service, d.recordKind);
      const subjectId = keptIn.get(d._id);
      const subject = subjectId ? folder.subjects.get(subjectId) : undefined;
      const fact = subject && field ? factOf(subject, field, d.recordId) : undefined;
      const { held: _h, pending: _p, ...base } = d as DisposedDoc;
      if (!subject || !field || !fact) {
        disposedDocs.push({ ...base, rev: (d.rev ?? 0) + 1 });
        continue;
      }
      const rest = withoutRecord(subject, field, d.recordId);
      const residue = residueOf(rest, subject);
      add(residue, d.municipalityId);
      disposedDocs.push({ ...base, rev: (d.rev ?? 0) + 1, held: { field, fact, residue: changesOf(residue)?.cells ?? [] } });
      if (isEmptySubject(rest)) folder.subjects.delete(subjectId!);
      else folder.subjects.set(subjectId!, rest);
    }
    // Children identity disposed of, after their disposed records: what is left of each counts
    // in the cells, and the subject is written as a marker only.
    const markers: SubjectDoc[] = [];
    for (const d of disposals.values()) {
      if (!isChildEntryDisposal(d)) continue;
      const subject = folder.subjects.get(d.recordId);
      if (subject && subject.municipalityId !== d.municipalityId) continue;
      if (subject) add(contributionsOf(subject), subject.municipalityId);
      folder.subjects.delete(d.recordId);
      markers.push(goneMarker(d.recordId, d.municipalityId, 1));
    }
    const all = [...folder.subjects.values()];
    for (const s of all) add(contributionsOf(s), s.municipalityId);
    const written = [...all.map((s) => ({ ...s, rev: 1 })), ...markers];
    for (let i = 0; i < written.length; i += INSERT_CHUNK) await this.subjects.insertMany(written.slice(i, i + INSERT_CHUNK), { ordered: false });
    const cells: CellDoc[] = [...total].map(([cell, keys]) => {
      const [institutionId, group, month] = cell.split('|') as [string, string, string];
      return { _id: cell, municipalityId: municipalityOf.get(cell)!, institutionId, groupId: group === '-' ? null : group, month, c: Object.fromEntries([...keys].filter(([, n]) => n !== 0)) };
    });
    for (let i = 0; i < cells.length; i += INSERT_CHUNK) await this.cells.insertMany(cells.slice(i, i + INSERT_CHUNK), { ordered: false });
    // One write per disposed record (FerretDB hangs on bulk updates); they are few.
    for (const d of disposedDocs) await this.disposed.replaceOne({ _id: d._id }, d, { upsert: true });
    const months = new Map(cells.map((c) => [`${c.municipalityId}|${c.month}`, c]));
    for (const c of months.values()) await this.touch(c.municipalityId, [c.month]);
    return { subjects: all.length, cells: cells.length, disposed: disposedDocs.length };
  }

  /** Every cell of a municipality's month, its institutions' and their groups'; their counts only. */
  async cellsOf(municipalityId: string, month: string): Promise<Pick<CellDoc, 'institutionId' | 'groupId' | 'c'>[]> {
    return this.cells.find({ municipalityId, month }, { projection: { _id: 0, institutionId: 1, groupId: 1, c: 1 } }).toArray();
  }
}

/** Folds events into subjects in memory: what a rebuild does before writing them at once. */
export class Folder {
  readonly subjects = new Map<string, Subject>();
  /** Disposals replayed from the retention topic; taken out of their subjects when written. */
  readonly disposals = new Map<string, DisposedDoc>();

  apply(event: SporEvent): void {
    if (event.type === RETENTION_DISPOSED) {
      const doc = disposedDocOf(event);
      this.disposals.set(doc._id, doc);
      return;
    }
    const id = subjectOf(event);
    if (!id) return;
    let subject = this.subjects.get(id);
    if (!subject) {
      subject = emptySubject(id, event.municipalityid);
      this.subjects.set(id, subject);
    }
    applyEvent(subject, event);
  }

  handlers(): Record<string, EventHandler> {
    const handler: EventHandler = async (event) => this.apply(event);
    return Object.fromEntries([...HANDLED_TYPES, RETENTION_DISPOSED].map((type) => [type, handler]));
  }
}

/** What a disposal event leaves: the record's id, never the child's (live handler and rebuild alike). */
function disposedDocOf(event: SporEvent): DisposedDoc {
  const record = recordOfDisposal(event);
  return { _id: record.key, municipalityId: event.municipalityid, service: record.service, recordKind: record.recordKind, recordId: record.recordId, disposedAt: event.time, rev: 0 };
}

/** A difference as the pending change of a document; undefined when nothing changes. */
function changesOf(delta: Contributions, by?: CellChanges['by']): CellChanges | undefined {
  const cells = [...delta].map(([cell, keys]) => ({ cell, inc: Object.fromEntries(keys) }));
  return cells.length > 0 ? { id: randomUUID(), cells, ...(by ? { by } : {}) } : undefined;
}

function contributionsFrom(cells: CellChanges['cells']): Contributions {
  return new Map(cells.map(({ cell, inc }) => [cell, new Map(Object.entries(inc))]));
}

function strip(doc: SubjectDoc): Subject {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { rev, pending, born, ...subject } = doc;
  return subject;
}
