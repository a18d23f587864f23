// Who read or changed personal data, when, with which roles, and why: an append-only,
// hash-chained collection in each service's own database, shipped as spor.audit.access.v1.
//
// One chain per writing process (docs/data-protection.md): the chain id is the instance id
// (AUDIT_INSTANCE_ID, else host name, process id and start time), so several replicas of a
// service each append to their own chain and never race for the next sequence number. Inside
// a process one flush at a time assigns sequence numbers and hashes (the group commit below),
// so the chain is written by a single writer by construction. `_id` is `<chain>:<seq>`: a
// misconfigured second writer of the same chain fails on the duplicate key instead of forking it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Collection, Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Principal } from '@spor/auth';
import { ensureCollections, findEach, inChunks } from '@spor/mongo';
import { KeyedMutex, WITHOUT_OUTBOX, type Backbone, type EventTransport, type SchemaRegistry } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { containsCpr, z, type ServiceRuntime } from '@spor/service-kit';
import { GENESIS, actionOf, checkCriterion, entryId, hashOf, type AuditEntry, type AuditInput } from './entry.js';
import { AUDIT_TOPIC } from './access-event.js';
import { AuditShipper, type ChainState } from './shipper.js';

export interface AuditLogOptions {
  /** The service writing (source of the shipped events); defaults to the database name without `spor-`. */
  service?: string;
  /** Ships the entries to spor.audit.access.v1 (AuditShipper); without it they wait in the log, unshipped. */
  shipping?: { transport: EventTransport; logger: Logger; metrics?: Registry; sweepIntervalMs?: number; staleAfterMs?: number };
  /** This writer's chain id; default: host name, process id and start time. */
  instanceId?: string;
  registry?: SchemaRegistry;
  clock?: () => Date;
}

/** Who acts for a service's own jobs (retention sweeps): the service itself. */
export function servicePrincipal(service: string, municipalityId = ''): Principal {
  return { subject: service, kind: 'service', municipalityId, roles: [], children: [], scopes: [], expiresAt: new Date(8.64e15) };
}

/** A service without a name given (reporting until it is wired) is named after its database: spor-reporting → reporting. */
function serviceOfDatabase(name: string): string {
  const service = name.replace(/^spor-/, '').toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  return /^[a-z][a-z0-9-]{1,40}$/.test(service) ? service : 'unnamed-service';
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100);

type Pending = Omit<AuditEntry, '_id' | 'chain' | 'seq' | 'prevHash' | 'hash'>;

/** A chain's last stored entry (its head), if any is stored; one indexed read (chain, seq). */
export async function lastEntryOf(entries: Collection<AuditEntry>, chain: string): Promise<AuditEntry | undefined> {
  const [last] = await entries.find({ chain }).sort({ seq: -1 }).limit(1).toArray();
  return last;
}

/** Entries looked up per step of a prune, and removed at most per prune unless told. */
const PRUNE_STEP = 200;
const PRUNE_BUDGET = 5_000;

export class AuditLog {
  static collection = 'audit_log';
  static chainsCollection = 'audit_chains';
  static collections = [AuditLog.collection, AuditLog.chainsCollection];
  readonly service: string;
  readonly chain: string;
  private readonly collection: Collection<AuditEntry>;
  private readonly chains: Collection<ChainState>;
  /** Writes of a chain's state, one at a time in this process (AuditShipperOptions.chainLocks). */
  private readonly chainLocks = new KeyedMutex();
  private readonly registry: SchemaRegistry;
  private readonly clock: () => Date;
  private head: { seq: number; hash: string } | undefined;
  /** Entries waiting for the next group write, each with the request that waits for it. */
  private queue: { entry: Pending; done: (error?: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private readonly shipper: AuditShipper | undefined;

  constructor(
    db: Db,
    private readonly options: AuditLogOptions = {},
  ) {
    this.collection = db.collection(AuditLog.collection);
    this.chains = db.collection(AuditLog.chainsCollection);
    this.service = options.service ?? serviceOfDatabase(db.databaseName);
    const given = options.instanceId ?? process.env.AUDIT_INSTANCE_ID;
    // The chain id travels in every shipped event, which must never hold what reads as a CPR number.
    if (given && containsCpr(safe(given))) throw new Error('AUDIT_INSTANCE_ID must not contain a run of digits that reads as a CPR number');
    const generated = () => safe(`${hostname()}.${process.pid}.${Date.now().toString(36)}`);
    this.chain = given ? safe(given) : containsCpr(generated()) ? `chain-${randomUUID()}` : generated();
    this.registry = options.registry ?? contractRegistry();
    this.clock = options.clock ?? (() => new Date());
    const shipping = options.shipping;
    if (shipping) this.shipper = new AuditShipper({ ...shipping, entries: this.collection, chains: this.chains, chainLocks: this.chainLocks, chain: this.chain, registry: this.registry });
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ recordId: 1, at: 1 });
    await this.collection.createIndex({ childId: 1, at: 1 });
    await this.collection.createIndex({ chain: 1, seq: 1 });
    await this.chains.createIndex({ closed: 1 });
    // A log written before chains were registered: its chains are found once, the slow way.
    if ((await this.chains.estimatedDocumentCount()) === 0 && (await this.collection.estimatedDocumentCount()) > 0) {
      for (const chain of (await this.collection.distinct('chain')) as string[]) await this.register(chain, false);
    }
    await this.register(this.chain, true);
    await this.readHead();
    await this.migrateToWatermark();
    if (this.shipper) {
      await this.shipper.init();
      this.shipper.start();
    }
  }

  /** Ships what this process holds, then stops shipping (a service's stop step). */
  async stop(): Promise<void> {
    await this.shipper?.stop();
  }

  /** A new chain starts shipped to 0; one found in an old log gets its watermark from its entries (migrateToWatermark). */
  private async register(chain: string, isNew: boolean): Promise<void> {
    await this.chains.updateOne({ _id: chain }, { $setOnInsert: { seq: 0, hash: GENESIS, ...(isNew ? { shipped: 0, closed: false } : {}) } }, { upsert: true }).catch((error: { code?: number }) => {
      // Two replicas registering one old chain at once: the other one's insert won.
      if (error.code !== 11000) throw error;
    });
  }

  /**
   * Chains written before the watermark (each entry carried its event and a `hasPending` flag
   * until the relay published it) get their watermark: shipped up to the entry before the first
   * one still pending, or to their end. Their outbox indexes go. Once per chain.
   */
  private async migrateToWatermark(): Promise<void> {
    for (const chain of await this.chains.find({ shipped: { $exists: false } }).toArray()) {
      const [firstPending] = await this.collection.find({ chain: chain._id, hasPending: true } as never).sort({ seq: 1 }).limit(1).toArray();
      const last = await lastEntryOf(this.collection, chain._id);
      const shipped = firstPending ? firstPending.seq - 1 : Math.max(last?.seq ?? 0, chain.seq);
      await this.chains.updateOne({ _id: chain._id, shipped: { $exists: false } }, { $set: { shipped, closed: false } });
    }
    const outboxIndexes = (await this.collection.indexes()).map((i) => i.name).filter((name) => name === 'hasPending_1' || name === 'outboxGroup_1');
    for (const index of outboxIndexes) await this.collection.dropIndex(index!);
  }

  /** Where this chain stands in the store (after a restart with a fixed instance id, or a failed write). */
  private async readHead(): Promise<void> {
    const last = await lastEntryOf(this.collection, this.chain);
    // Every entry pruned: the chain goes on from the last one pruned.
    const start = last ? undefined : await this.chains.findOne({ _id: this.chain });
    this.head = last ? { seq: last.seq, hash: last.hash } : { seq: start?.seq ?? 0, hash: start?.hash ?? GENESIS };
  }

  /**
   * Removes the entries recorded before `before` from every chain, oldest first, as long as they
   * have been shipped (the shipped stream keeps them; `shipped` in audit_chains): a chain loses a
   * prefix only, so what stays still verifies, from the chain's new start (`audit_chains`: the
   * last entry removed). The start moves before the entries go; entries a prune left behind the
   * start when it stopped (verification passes over them) are removed by the next. Any replica may prune any chain: a
   * start only moves forward. At most `budget` entries a call, so a large backlog is worked off
   * over several sweeps. Answers how many entries went.
   *
   * Entries are found and removed by `_id` (`<chain>:<seq>`, one indexed equality each): a
   * filter on a range of `seq` or `at` reads the whole collection on FerretDB 1.x.
   */
  async prune(before: Date, budget = PRUNE_BUDGET): Promise<number> {
    let removed = 0;
    for (const start of await this.chains.find({}).toArray()) {
      const chain = start._id;
      removed += await this.removeBehind(chain, start.seq);
      let from = start.seq;
      while (removed < budget) {
        const seqs = Array.from({ length: Math.min(PRUNE_STEP, budget - removed) }, (_, i) => from + 1 + i);
        const next = await findEach(this.collection, '_id', seqs.map((q) => entryId(chain, q)), {}, { projection: { seq: 1, hash: 1, at: 1 } });
        // In seq order; the first one missing (the chain's end), recent or unshipped stops the walk.
        let upTo = 0;
        while (upTo < next.length && next[upTo]!.seq === seqs[upTo] && next[upTo]!.at < before && next[upTo]!.seq <= (start.shipped ?? 0)) upTo++;
        if (upTo === 0) break;
        const last = next[upTo - 1]!;
        await this.chainLocks.run(chain, () => this.chains.updateOne({ _id: chain, seq: { $lt: last.seq } }, { $set: { seq: last.seq, hash: last.hash } }));
        const gone = await inChunks(seqs.slice(0, upTo), (q) => this.collection.deleteOne({ _id: entryId(chain, q) }));
        removed += gone.reduce((n, r) => n + r.deletedCount, 0);
        from = last.seq;
        if (upTo < seqs.length) break;
      }
      if (removed >= budget) break;
    }
    return removed;
  }

  /** Entries at and before a chain's start that a stopped prune left: removed, newest first, until one is missing. */
  private async removeBehind(chain: string, seq: number): Promise<number> {
    let removed = 0;
    for (let q = seq; q > 0; q--) {
      if ((await this.collection.deleteOne({ _id: entryId(chain, q) })).deletedCount === 0) break;
      removed++;
    }
    return removed;
  }

  /**
   * Writes several entries of one request (a list that names many children, each a read of that
   * child's record): handed over together, they go in one group commit, in this order.
   */
  recordAll(principal: Principal, inputs: (AuditInput & { municipalityId?: string })[]): Promise<void> {
    return Promise.all(inputs.map((input) => this.record(principal, input))).then(() => undefined);
  }

  /**
   * Writes the entry; resolves once it is stored, so a request never answers before its audit
   * entry is kept. Entries that arrive while a write is under way go together in the next one
   * (group commit): one round trip for many concurrent requests.
   */
  record(principal: Principal, input: AuditInput & { municipalityId?: string }): Promise<void> {
    let entry: Pending;
    try {
      if (input.criterion) checkCriterion(input.criterion);
      // Kept for years and shown in exports: routes refuse such a purpose with a 400 (auditPurposeText).
      if (input.purpose && containsCpr(input.purpose)) throw new Error('audit: a purpose must not contain a CPR number');
      entry = {
        service: this.service,
        at: this.clock(),
        actor: principal.subject,
        actorKind: principal.kind,
        roles: principal.roles.map((r) => `${r.role}@${r.unitId}`),
        municipalityId: principal.municipalityId || input.municipalityId || '',
        action: actionOf(input.action),
        operation: input.action,
        recordType: input.recordType,
        recordId: input.recordId,
        ...(input.childId ? { childId: input.childId } : {}),
        ...(input.institutionId ? { institutionId: input.institutionId } : {}),
        ...(input.criterion ? { criterion: input.criterion } : {}),
        ...(input.purpose ? { purpose: input.purpose } : {}),
      };
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entry, done: (error) => (error ? reject(error as Error) : resolve()) });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (!this.head) await this.readHead();
        let { seq, hash } = this.head!;
        const docs = batch.map(({ entry }): AuditEntry => {
          seq += 1;
          const chained = { ...entry, _id: entryId(this.chain, seq), chain: this.chain, seq, prevHash: hash };
          hash = hashOf(chained);
          return { ...chained, hash };
        });
        // One group write; the shipper publishes the entries from what was written, never reading them back.
        await this.collection.insertMany(docs, { ordered: true });
        this.head = { seq, hash };
        this.shipper?.hand(docs);
        for (const b of batch) b.done();
      } catch (error) {
        // Part of the batch may be stored: read where the chain stands before the next write.
        this.head = undefined;
        this.shipper?.recheck();
        for (const b of batch) b.done(error);
      }
    }
    this.flushing = undefined;
  }

  forRecord(recordId: string): Promise<AuditEntry[]> {
    return this.collection.find({ recordId }, { projection: WITHOUT_OUTBOX }).sort({ at: 1, seq: 1 }).toArray();
  }

  forChild(childId: string): Promise<AuditEntry[]> {
    return this.collection.find({ childId }, { projection: WITHOUT_OUTBOX }).sort({ at: 1, seq: 1 }).toArray();
  }
}

/**
 * The audit log as a service starts it: shipped by its AuditShipper to spor.audit.access.v1
 * (created when missing), which its stop step lets finish.
 */
export async function startAuditLog(
  backbone: Pick<Backbone, 'db' | 'transport' | 'connection'>,
  service: string,
  options: Omit<AuditLogOptions, 'service' | 'shipping'> & { runtime: ServiceRuntime; logger: Logger; metrics?: Registry; config?: AuditRetention['config'] },
): Promise<AuditLog> {
  // Created before anything writes concurrently (FerretDB, docs/decisions/0002).
  await ensureCollections(backbone.connection, AuditLog.collections);
  await backbone.transport.ensureTopics([{ topic: AUDIT_TOPIC, partitions: 3 }]);
  const { runtime, logger, metrics, config, ...rest } = options;
  const audit = new AuditLog(backbone.db, { ...rest, service, shipping: { transport: backbone.transport, logger, metrics, ...shippingTimings(config) } });
  await audit.init();
  // Registered after the transport's stop step, so it runs first: what is held is shipped before the producer goes.
  runtime.onStop('audit shipping', () => audit.stop());
  if (config) scheduleAuditPruning(audit, { runtime, config }, options.clock ?? (() => new Date()));
  return audit;
}

/** The variables every service adds to its configuration schema for its audit log. */
export const auditConfigShape = {
  /**
   * How long audit entries are kept: by default 5 years, as long as the longest record kind (an
   * action plan after closure), so a parent's insight shows who looked for as long as there is
   * something to look at. Entries go only once shipped to spor.audit.access.v1.
   */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(30).max(36_500).default(1826),
  /** How often entries past the period are looked for. */
  AUDIT_RETENTION_SWEEP_SECONDS: z.coerce.number().int().min(5).max(7 * 86_400).default(3600),
  /**
   * Entries removed at most per sweep (about 600 a second on FerretDB 1.23 on 2 cores): with the
   * defaults 120,000 a day per service, more than a municipality writes; a backlog (the first
   * sweep over an old log) is worked off over several sweeps.
   */
  AUDIT_RETENTION_BATCH: z.coerce.number().int().min(100).max(1_000_000).default(5_000),
  /**
   * How often each process writes its chain's beat (and looks for chains of writers that went
   * silent). A beat is one small update of `audit_chains`.
   */
  AUDIT_SHIPPING_BEAT_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
  /**
   * Missed beats after which a writer counts as dead: another replica then ships its chain to the
   * end and closes it. At least 3, so a slow store or a long pause does not make a live writer look
   * dead; the default (12 beats of 10 s) is 2 minutes, which is how late a crashed process's last
   * entries reach the topic.
   */
  AUDIT_WRITER_STALE_BEATS: z.coerce.number().int().min(3).max(1_000).default(12),
};

/** What startAuditLog needs to keep the log within its period. */
export interface AuditRetention {
  runtime: ServiceRuntime;
  config: { AUDIT_RETENTION_DAYS: number; AUDIT_RETENTION_SWEEP_SECONDS: number; AUDIT_RETENTION_BATCH: number; AUDIT_SHIPPING_BEAT_SECONDS?: number; AUDIT_WRITER_STALE_BEATS?: number };
}

/** The shipper's timings from the configuration (its own defaults without one). */
function shippingTimings(config: AuditRetention['config'] | undefined): { sweepIntervalMs?: number; staleAfterMs?: number } {
  const beat = config?.AUDIT_SHIPPING_BEAT_SECONDS;
  if (beat === undefined) return {};
  return { sweepIntervalMs: beat * 1000, staleAfterMs: beat * 1000 * (config?.AUDIT_WRITER_STALE_BEATS ?? 12) };
}

function scheduleAuditPruning(audit: AuditLog, { runtime, config }: AuditRetention, clock: () => Date): void {
  runtime.every('audit retention', config.AUDIT_RETENTION_SWEEP_SECONDS * 1000, () => audit.prune(new Date(clock().getTime() - config.AUDIT_RETENTION_DAYS * 86_400_000), config.AUDIT_RETENTION_BATCH));
}
