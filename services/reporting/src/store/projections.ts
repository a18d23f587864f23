// reporting's pseudonymous projections: one document per subject (a child, or a group-level plan
// or case) folded from the other services' events, and figure cells per (institution or group,
// month) that the figures read. No CPR, no names, no free text ever reaches this store.
//
// Live: an event changes its subject; the difference between the subject's contributions before
// and after is written inside the subject's own document (one write, like the outbox of decision
// 0003), then added to the cells, each cell guarded by the change's id so a retry adds nothing
// twice, then cleared. A crash in between leaves the change pending; it is finished at start.
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

export interface SubjectDoc extends Subject {
  rev: number;
  /** FerretDB 1.x stores no arrays of arrays: one object per cell. */
  pending?: { id: string; cells: { cell: string; inc: Record<string, number> }[] };
}

export interface CellDoc {
  _id: string;
  municipalityId: string;
  institutionId: string;
  groupId: string | null;
  month: string;
  c: Record<string, number>;
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
  static collections = ['report_subjects', 'report_cells', 'report_revisions'];
  readonly subjects: Collection<SubjectDoc>;
  readonly cells: Collection<CellDoc>;
  readonly revisions: Collection<RevisionDoc>;

  constructor(db: Db) {
    this.subjects = db.collection('report_subjects');
    this.cells = db.collection('report_cells');
    this.revisions = db.collection('report_revisions');
  }

  async init(): Promise<void> {
    await this.cells.createIndex({ municipalityId: 1, month: 1 });
    await this.subjects.createIndex({ pending: 1 });
  }

  topics(): string[] {
    return [
      topicFor('identity', 'person'),
      topicFor('transitions', 'enrollment'),
      topicFor('transitions', 'handover'),
      topicFor('assessments', 'assessment'),
      topicFor('action-plans', 'plan'),
      topicFor('action-plans', 'resource-case'),
    ];
  }

  /** Live handlers: one event at a time, crash-safe and idempotent. */
  handlers(): Record<string, EventHandler> {
    const handler: EventHandler = (event) => this.apply(event);
    return Object.fromEntries(HANDLED_TYPES.map((type) => [type, handler]));
  }

  async apply(event: SporEvent): Promise<void> {
    const id = subjectOf(event);
    if (!id) return;
    let doc = await this.subjects.findOne({ _id: id });
    if (doc?.pending) {
      await this.finish(doc);
      doc = await this.subjects.findOne({ _id: id });
    }
    const subject: Subject = doc ? strip(doc) : emptySubject(id, event.municipalityid);
    const before = contributionsOf(subject);
    if (!applyEvent(subject, event)) return;
    const delta = difference(before, contributionsOf(subject));
    const pending = { id: randomUUID(), cells: [...delta].map(([cell, keys]) => ({ cell, inc: Object.fromEntries(keys) })) };
    const next: SubjectDoc = { ...subject, rev: (doc?.rev ?? 0) + 1, ...(pending.cells.length > 0 ? { pending } : {}) };
    if (doc) {
      const result = await this.subjects.replaceOne({ _id: id, rev: doc.rev }, next);
      if (result.matchedCount === 0) throw new Error(`subject ${id} changed while applying ${event.id}`);
    } else {
      await this.subjects.insertOne(next);
    }
    if (next.pending) await this.finish(next);
  }

  /** Adds a subject's pending change to the cells (each cell once per change) and clears it. */
  private async finish(doc: SubjectDoc): Promise<void> {
    const { pending } = doc;
    if (!pending) return;
    // One change touches each cell once, and changes are applied one at a time: its cells can be written side by side.
    const queue = [...pending.cells];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.addToCell(doc.municipalityId, pending.id, next.cell, next.inc);
    };
    await Promise.all(Array.from({ length: CELL_WRITERS }, worker));
    await this.touch(doc.municipalityId, new Set(pending.cells.map(({ cell }) => cell.split('|')[2]!)));
    await this.subjects.updateOne({ _id: doc._id, rev: doc.rev }, { $unset: { pending: '' } });
  }

  private async addToCell(municipalityId: string, changeId: string, cell: string, inc: Record<string, number>): Promise<void> {
    const [institutionId, group, month] = cell.split('|') as [string, string, string];
    try {
      await this.cells.updateOne(
        { _id: cell, applied: { $ne: changeId } },
        {
          $inc: Object.fromEntries(Object.entries(inc).map(([key, n]) => [`c.${key}`, n])),
          $setOnInsert: { municipalityId, institutionId, groupId: group === '-' ? null : group, month },
          $push: { applied: { $each: [changeId], $slice: -20 } },
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
  async revisionOf(municipalityId: string, months: string[]): Promise<string> {
    const ids = months.map((m) => `${municipalityId}|${m}`);
    const docs = ids.length === 1 ? [await this.revisions.findOne({ _id: ids[0]! })].filter((d) => d !== null) : await this.revisions.find({ _id: { $in: ids } }).toArray();
    const token = new Map(docs.map((d) => [d._id, d.token]));
    return ids.map((id) => token.get(id) ?? '-').join(',');
  }

  /** Finishes changes a crash left pending. */
  async recover(logger: Logger): Promise<void> {
    const pending = await this.subjects.find({ pending: { $exists: true } }).toArray();
    for (const doc of pending) await this.finish(doc);
    if (pending.length > 0) logger.info({ subjects: pending.length }, 'finished pending figure changes');
  }

  /** Empties the projections before a rebuild. */
  async clear(): Promise<void> {
    await this.subjects.deleteMany({});
    await this.cells.deleteMany({});
    await this.revisions.deleteMany({});
  }

  /** Writes subjects folded in memory (a rebuild) and their cells into emptied collections. */
  async writeFolded(subjects: Iterable<Subject>): Promise<{ subjects: number; cells: number }> {
    const all = [...subjects];
    const total: Contributions = new Map();
    const municipalityOf = new Map<string, string>();
    for (const s of all) {
      const contributions = contributionsOf(s);
      addInto(total, contributions);
      for (const cell of contributions.keys()) municipalityOf.set(cell, s.municipalityId);
    }
    for (let i = 0; i < all.length; i += INSERT_CHUNK) await this.subjects.insertMany(all.slice(i, i + INSERT_CHUNK).map((s) => ({ ...s, rev: 1 })), { ordered: false });
    const cells: CellDoc[] = [...total].map(([cell, keys]) => {
      const [institutionId, group, month] = cell.split('|') as [string, string, string];
      return { _id: cell, municipalityId: municipalityOf.get(cell)!, institutionId, groupId: group === '-' ? null : group, month, c: Object.fromEntries(keys) };
    });
    for (let i = 0; i < cells.length; i += INSERT_CHUNK) await this.cells.insertMany(cells.slice(i, i + INSERT_CHUNK), { ordered: false });
    const months = new Map(cells.map((c) => [`${c.municipalityId}|${c.month}`, c]));
    for (const c of months.values()) await this.touch(c.municipalityId, [c.month]);
    return { subjects: all.length, cells: cells.length };
  }

  /** The cells of a group, an institution (with its groups'), or the institutions of a municipality, for some months; their counts only. */
  async cellsOf(scope: { groupId: string } | { institutionId: string } | { municipalityId: string }, months: string[]): Promise<Pick<CellDoc, 'institutionId' | 'groupId' | 'month' | 'c'>[]> {
    const filter = 'municipalityId' in scope ? { ...scope, groupId: null } : scope;
    return this.cells.find({ ...filter, month: months.length === 1 ? months[0]! : { $in: months } }, { projection: { _id: 0, institutionId: 1, groupId: 1, month: 1, c: 1 } }).toArray();
  }
}

/** Folds events into subjects in memory: what a rebuild does before writing them at once. */
export class Folder {
  readonly subjects = new Map<string, Subject>();

  apply(event: SporEvent): void {
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
    return Object.fromEntries(HANDLED_TYPES.map((type) => [type, handler]));
  }
}

function strip(doc: SubjectDoc): Subject {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { rev, pending, ...subject } = doc;
  return subject;
}
