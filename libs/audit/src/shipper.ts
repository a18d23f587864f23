// Ships the audit log to spor.audit.access.v1 by a watermark per chain instead of an outbox
// mark per entry. A chain is append-only and gap-free (`<chain>:<seq>`), so "shipped up to seq
// n" (`audit_chains.shipped`) says what an outbox flag on every entry said, at the price of one
// small update per shipping round instead of an update of every entry (and two indexes and a
// copy of the event in each). The event is derived from the stored entry (accessEvent, its id
// from the entry's id and hash), so shipping again after a crash sends the same events.
//
// Who ships what: each process ships its own chain, from the entries its flushes hand over
// (never read back) and, where those have a gap (a flush that failed half way) or after a
// restart under a fixed instance id, from the store. A process that stops ships what it holds
// first. Each process also beats (`aliveAt`) on its chain; a chain whose owner stopped beating
// (it crashed) is shipped to its end by any process's sweep and closed. Sweeps read only the
// open chains (`closed: false`, one indexed equality), so old chains cost nothing.
import type { Collection } from 'mongodb';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { findEach } from '@spor/mongo';
import { KeyedMutex, WorkLoop, eventMessage, type EventTransport, type SchemaRegistry, type SporEvent } from '@spor/events';
import { entryId, type AuditEntry } from './entry.js';
import { AUDIT_TOPIC, accessEvent } from './access-event.js';

/** A chain's record in `audit_chains`: where retention left it, how far it is shipped, whether its writer lives. */
export interface ChainState {
  _id: string;
  /** The last entry retention removed (0 and the genesis hash while none is): verification starts after it. */
  seq: number;
  hash: string;
  /** The last entry published to spor.audit.access.v1; every entry up to it is, in order. */
  shipped?: number;
  /** The writer's last beat; a chain without one for `staleAfterMs` is shipped by others. */
  aliveAt?: Date;
  /** Shipped to its end after its writer stopped: no sweep looks at it again. */
  closed?: boolean;
}

/** An entry as stored by a writer from before the watermark: its event rode in the entry. */
type StoredEntry = AuditEntry & { pendingEvents?: { event: SporEvent }[] };

export interface AuditShipperOptions {
  entries: Collection<AuditEntry>;
  chains: Collection<ChainState>;
  /**
   * Every write of a chain's state in this process goes through it (beat, watermark, close, the
   * retention's start): FerretDB 1.x writes an update as the whole document, so a beat landing
   * during a prune could put back the start the prune had just moved.
   */
  chainLocks?: KeyedMutex;
  /** This process's chain. */
  chain: string;
  transport: EventTransport;
  registry: SchemaRegistry;
  logger: Logger;
  metrics?: Registry;
  /** How often the own chain's beat is written and open chains of others are looked at. */
  sweepIntervalMs?: number;
  /** How long a chain's writer may be silent before others ship its chain to the end. */
  staleAfterMs?: number;
  /** Entries per shipping round (and per store read). */
  batchSize?: number;
}

export class AuditShipper {
  /** Entries of the own chain handed over by flushes and not shipped yet, by seq. */
  private readonly held = new Map<number, AuditEntry>();
  private nextSeq = 1;
  /** Set after a failed flush: part of its batch may be stored without being handed over. */
  private storeToCheck = false;
  private readonly loop: WorkLoop;
  private lastSweep = 0;
  private readonly shippedCount?: Counter<'chain'>;
  private readonly failures?: Counter;

  private readonly chainLocks: KeyedMutex;

  constructor(private readonly options: AuditShipperOptions) {
    this.chainLocks = options.chainLocks ?? new KeyedMutex();
    if (options.metrics) {
      this.shippedCount = new Counter({ name: 'spor_audit_entries_shipped_total', help: 'Audit entries published to spor.audit.access.v1', labelNames: ['chain'], registers: [options.metrics] });
      this.failures = new Counter({ name: 'spor_audit_shipping_failures_total', help: 'Failed audit shipping rounds (retried)', registers: [options.metrics] });
      const held = this.held;
      // Read when Prometheus scrapes: the entries this process stored and has not shipped yet.
      new Gauge({
        name: 'spor_audit_entries_waiting',
        help: 'Audit entries of this process stored and not shipped yet',
        registers: [options.metrics],
        collect() {
          this.set(held.size);
        },
      });
    }
    this.loop = new WorkLoop({
      round: async () => (await this.runOnce()) > 0 || this.held.size > 0,
      idleMs: options.sweepIntervalMs ?? 10_000,
      logger: options.logger,
      failureMessage: 'audit shipping round failed; the entries stay stored and are shipped later',
      failures: this.failures,
    });
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 500;
  }

  /**
   * Reads where the own chain is shipped to and ships what is stored after it (a restart under a
   * fixed instance id), then what writers that died left; call once the chain is registered,
   * before entries are handed over.
   */
  async init(): Promise<void> {
    const state = await this.options.chains.findOne({ _id: this.options.chain });
    this.nextSeq = (state?.shipped ?? state?.seq ?? 0) + 1;
    await this.beat();
    await this.shipFromStore(this.options.chain, this.nextSeq - 1, Infinity);
    this.storeToCheck = false;
    await this.sweepStale();
    this.lastSweep = Date.now();
  }

  /** A flush failed: part of its batch may be stored without being handed over; the next round looks. */
  recheck(): void {
    this.storeToCheck = true;
    this.loop.wake();
  }

  /** Takes entries a flush stored, in seq order; the loop ships them. */
  hand(entries: AuditEntry[]): void {
    for (const entry of entries) if (entry.seq >= this.nextSeq) this.held.set(entry.seq, entry);
    this.loop.wake();
  }

  start(): void {
    this.loop.start();
  }

  /** Ships what it holds (unless the broker refuses), then stops. */
  async stop(): Promise<void> {
    if (!this.loop.isRunning) return;
    await this.loop.stop();
    try {
      while (this.held.size > 0 && (await this.shipOwn()) > 0);
    } catch (error) {
      this.options.logger.warn({ err: error, unshipped: this.held.size }, 'audit entries not shipped at stop; another process ships them once this chain is stale');
    }
  }

  /** One round: the own chain's held entries, and when due the beat and the sweep of stale chains. Answers entries shipped. */
  async runOnce(): Promise<number> {
    const interval = this.options.sweepIntervalMs ?? 10_000;
    const sweepDue = Date.now() - this.lastSweep >= interval;
    // The beat first: a broker outage that fails the shipping below must not make this live
    // writer look dead to the other replicas.
    if (sweepDue) await this.beat();
    let shipped = 0;
    if (this.storeToCheck && this.held.size === 0) {
      // Stored entries of the own chain nobody handed over (a restart under a fixed instance id,
      // a flush that failed after storing part of its batch). With entries held, shipOwn reads
      // any gap before them anyway.
      shipped += await this.shipFromStore(this.options.chain, this.nextSeq - 1, Infinity);
      this.storeToCheck = false;
    }
    shipped += await this.shipOwn();
    if (sweepDue) {
      this.lastSweep = Date.now();
      shipped += await this.sweepStale();
    }
    return shipped;
  }

  private beat(): Promise<unknown> {
    return this.chainLocks.run(this.options.chain, () => this.options.chains.updateOne({ _id: this.options.chain }, { $set: { aliveAt: new Date(), closed: false } }));
  }

  /** Ships the held entries from the next unshipped one on, reading a gap before them from the store. */
  private async shipOwn(): Promise<number> {
    // Entries shipped meanwhile from the store (handed over while a read of it was under way).
    for (const seq of this.held.keys()) if (seq < this.nextSeq) this.held.delete(seq);
    if (this.held.size === 0) return 0;
    // storeToCheck stays: entries a failed flush stored after the held ones are no gap before
    // them, and are read once the held ones are shipped (runOnce).
    const first = Math.min(...this.held.keys());
    if (first > this.nextSeq) {
      // A gap: entries stored by a flush that failed half way were never handed over.
      const gap = await this.read(this.options.chain, this.nextSeq, Math.min(first - this.nextSeq, this.batchSize));
      if (gap.length > 0) return this.publish(this.options.chain, gap);
      // Nothing stored there (cannot happen: a chain is written without gaps); do not wait on it forever.
      this.options.logger.error({ chain: this.options.chain, from: this.nextSeq, to: first - 1 }, 'audit entries missing from their chain; shipping goes on after them');
      this.nextSeq = first;
    }
    const run: AuditEntry[] = [];
    for (let seq = this.nextSeq; this.held.has(seq) && run.length < this.batchSize; seq++) run.push(this.held.get(seq)!);
    return this.publish(this.options.chain, run);
  }

  /** Publishes one chain's consecutive entries in order, then moves its watermark. */
  private async publish(chain: string, entries: StoredEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const messages = entries.map((entry) => toMessage(this.eventOf(entry)));
    await this.options.transport.send(messages);
    const last = entries[entries.length - 1]!.seq;
    // Only forward: another process shipping a stale chain may have got further.
    await this.chainLocks.run(chain, () => this.options.chains.updateOne({ _id: chain, $or: [{ shipped: { $exists: false } }, { shipped: { $lt: last } }] }, { $set: { shipped: last } }));
    if (chain === this.options.chain) {
      for (const entry of entries) this.held.delete(entry.seq);
      this.nextSeq = last + 1;
    }
    this.shippedCount?.inc({ chain }, entries.length);
    return entries.length;
  }

  /**
   * An entry from before the watermark that still carries its event is shipped as that event
   * (the same id), once it is found valid again like any event read back from the store; every
   * other entry's event is made from it.
   */
  private eventOf(entry: StoredEntry): SporEvent {
    const stored = entry.pendingEvents?.[0]?.event;
    if (stored && this.options.registry.check(stored).length === 0) return stored;
    return accessEvent(entry, this.options.registry);
  }

  /** The stored entries from `from` on, at most `count`, up to the first one missing; by _id (one indexed equality each). */
  private async read(chain: string, from: number, count: number): Promise<StoredEntry[]> {
    const seqs = Array.from({ length: count }, (_, i) => from + i);
    const found = (await findEach(this.options.entries, '_id', seqs.map((q) => entryId(chain, q)), {})) as StoredEntry[];
    const bySeq = new Map(found.map((e) => [e.seq, e]));
    const run: StoredEntry[] = [];
    for (const seq of seqs) {
      const entry = bySeq.get(seq);
      if (!entry) break;
      run.push(entry);
    }
    return run;
  }

  /** Ships a chain's stored entries after `shipped`, step by step, until one is missing or `budget` is spent. */
  private async shipFromStore(chain: string, shipped: number, budget: number): Promise<number> {
    let total = 0;
    let from = shipped + 1;
    const step = 50;
    // Most looks find nothing: one lookup says so, not a step of them.
    if (!(await this.options.entries.findOne({ _id: entryId(chain, from) }, { projection: { _id: 1 } }))) return 0;
    while (total < budget) {
      const run = await this.read(chain, from, Math.min(step, budget - total));
      total += await this.publish(chain, run);
      from += run.length;
      if (run.length < step) break;
    }
    return total;
  }

  /** Open chains whose writer stopped beating: shipped to their end and closed. */
  private async sweepStale(): Promise<number> {
    const staleBefore = Date.now() - (this.options.staleAfterMs ?? 120_000);
    let total = 0;
    for (const state of await this.options.chains.find({ closed: false }).toArray()) {
      if (state._id === this.options.chain || (state.aliveAt && state.aliveAt.getTime() >= staleBefore)) continue;
      const shipped = await this.shipFromStore(state._id, state.shipped ?? state.seq, this.batchSize * 4);
      total += shipped;
      // Shipped to the end (the budget not spent): nothing will be added to a dead writer's chain.
      if (shipped < this.batchSize * 4) await this.chainLocks.run(state._id, () => this.options.chains.updateOne({ _id: state._id, aliveAt: state.aliveAt ?? { $exists: false } } as never, { $set: { closed: true } }));
    }
    return total;
  }
}

// One chain on one partition (the event's partitionkey is the chain), in order: a keeper of the
// stream can verify it as it reads.
const toMessage = (event: SporEvent) => eventMessage({ topic: AUDIT_TOPIC, key: event.partitionkey ?? event.subject, event });
