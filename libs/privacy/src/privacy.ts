// What a service adds to take part in data protection (docs/data-protection.md): its record
// kinds with their retention, a source of one child's data, and then from here, the same for
// every service: the retention sweep (runtime.every), legal holds, retention periods per
// municipality, parents' insight and the data-protection officer's export, all audit-logged.
import type { Router } from 'express';
import type { Logger } from 'pino';
import { forbidden, notFound, validated, z, type ServiceRuntime } from '@spor/service-kit';
import { principalOf, type Principal, type StaffRole } from '@spor/auth';
import type { AuditEntry, AuditLog } from '@spor/audit';
import type { Backbone } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { ensureCollections } from '@spor/mongo';
import { DirectoryArchive, type ArchiveHook } from './archive.js';
import { LegalHolds } from './legal-hold.js';
import { RETENTION_TOPIC, Retention, type RetainedKind } from './retention.js';
import { accessSeenByParent, type ChildDataSource, type ChildRelations, type ChildExport, type ChildInsight, type RetentionSeen } from './insight.js';

/** The variables every service adds to its configuration schema for this. */
export const privacyConfigShape = {
  /** How often expired records are looked for. */
  RETENTION_SWEEP_SECONDS: z.coerce.number().int().min(5).max(7 * 86_400).default(3600),
  /** Where the default archiving hook writes its packages (a volume in production). */
  ARCHIVE_DIR: z.string().min(1).default('.local/archive'),
  /**
   * How many days the proof of a disposal (kind, record, child, archive reference, when) is kept
   * after the disposal; unset, it is kept. The municipality's archive rules decide: at least a year.
   */
  RETENTION_DISPOSAL_LOG_DAYS: z.coerce.number().int().min(365).max(36_500).optional(),
};

/** Who may freeze a child's records: the leader and consultant of the case, the administration and the officer. */
export const HOLD_ROLES: StaffRole[] = ['leader', 'pedagogical-consultant', 'administration', 'dpo'];
/** Who sets a municipality's retention periods. */
export const POLICY_ROLES: StaffRole[] = ['administration', 'system-administrator', 'dpo'];
export const EXPORT_ROLES: StaffRole[] = ['dpo'];

export interface PrivacyOptions {
  service: string;
  config: { RETENTION_SWEEP_SECONDS: number; ARCHIVE_DIR: string; RETENTION_DISPOSAL_LOG_DAYS?: number };
  runtime: ServiceRuntime;
  logger: Logger;
  audit: AuditLog;
  /** The child's municipality and custody: a service's DirectoryView, or identity's own records. */
  directory: ChildRelations;
  clock: () => Date;
  kinds: RetainedKind[];
  data: ChildDataSource;
  /** The municipality's own archive delivery; default: packages in ARCHIVE_DIR. */
  archive?: ArchiveHook;
  /**
   * The audit entries about the child shown in the insight and the export; default
   * `audit.forChild`. identity adds the entries about the child's person record by its id.
   */
  auditTrail?: (childId: string) => Promise<AuditEntry[]>;
  /** Adds to a parent's insight (consent puts the child's consents here). */
  extendInsight?: (insight: ChildInsight, childId: string, parentId: string) => Promise<ChildInsight>;
  /**
   * The service disposes of a child's records when the child's entry leaves the directory (a
   * directory that tells, `alsoForget` → `retention.disposeChild`), except while a legal hold
   * stands: the release of the last hold then disposes of them.
   */
  disposesRemovedChildren?: boolean;
}

export interface Privacy {
  retention: Retention;
  holds: LegalHolds;
  /** One retention sweep now (tests, operators). */
  sweep: Retention['sweep'];
  routes: (router: Router) => void;
}

const childParams = z.object({ childId: z.uuid() });

export async function startPrivacy(backbone: Pick<Backbone, 'db' | 'relay' | 'transport' | 'connection'>, options: PrivacyOptions): Promise<Privacy> {
  const { db } = backbone;
  // Created before anything runs concurrently (FerretDB, docs/decisions/0002).
  await ensureCollections(backbone.connection, [LegalHolds.collection, ...Retention.collections]);
  await backbone.transport.ensureTopics([{ topic: RETENTION_TOPIC, partitions: 3 }]);
  const holds = new LegalHolds(db);
  await holds.init();
  const retention = new Retention({
    service: options.service,
    db,
    kinds: options.kinds,
    archive: options.archive ?? new DirectoryArchive(options.config.ARCHIVE_DIR),
    holds,
    audit: options.audit,
    registry: contractRegistry(),
    relay: backbone.relay,
    clock: options.clock,
    logger: options.logger,
    ...(options.config.RETENTION_DISPOSAL_LOG_DAYS !== undefined ? { disposalLogDays: options.config.RETENTION_DISPOSAL_LOG_DAYS } : {}),
  });
  await retention.init();
  if (options.disposesRemovedChildren) {
    if (!options.directory.alsoForget) throw new Error('disposesRemovedChildren needs a directory that tells of children leaving it');
    options.directory.alsoForget({ forgetChild: async (childId) => void (await retention.disposeChild(childId, 'person-removed')) });
  }
  const sweep = () => retention.sweep();
  options.runtime.every('retention sweep', options.config.RETENTION_SWEEP_SECONDS * 1000, sweep);
  return { retention, holds, sweep, routes: (router) => privacyRoutes(router, { ...options, retention, holds }) };
}

function privacyRoutes(router: Router, deps: PrivacyOptions & { retention: Retention; holds: LegalHolds }): void {
  const { audit, directory, retention, holds, clock, data } = deps;
  const trail = deps.auditTrail ?? ((childId: string) => audit.forChild(childId));

  /** The child's municipality, if the caller is staff there with one of the roles; else 404 or 403. */
  async function staffOfChild(principal: Principal, childId: string, roles: StaffRole[]): Promise<string> {
    if (principal.kind !== 'staff') throw notFound(`child ${childId}`);
    const child = await directory.person(childId);
    const municipalityId = child ? (child.kind === 'child' ? child.municipalityId : null) : await leftBehindIn(childId, principal);
    if (!municipalityId || municipalityId !== principal.municipalityId) throw notFound(`child ${childId}`);
    if (!principal.roles.some((r) => roles.includes(r.role))) throw forbidden(`requires one of the roles: ${roles.join(', ')}`, 'ROLE_REQUIRED');
    return municipalityId;
  }

  /**
   * The municipality of a child the directory no longer knows, whose holds or records this
   * service still keeps (held past the entry's removal, or kept to their own periods): the hold
   * must stay releasable and the records exportable. Null when nothing of the child is here.
   */
  async function leftBehindIn(childId: string, principal: Principal): Promise<string | null> {
    const held = (await holds.forChild(childId)).find((h) => h.municipalityId);
    if (held) return held.municipalityId;
    for (const list of Object.values(await data.all(childId, principal))) {
      for (const record of list) {
        const municipalityId = (record as { municipalityId?: unknown }).municipalityId;
        if (typeof municipalityId === 'string') return municipalityId;
      }
    }
    return null;
  }

  /**
   * Each kind's period and the child's records of it with the day each goes. `visible`: only
   * these records are named (a parent's insight names what the parent may see, so an unshared
   * plan or a notification of concern is not given away by its deletion date); the periods are
   * listed all the same.
   */
  async function retentionOf(childId: string, municipalityId: string, visible?: Set<unknown>): Promise<RetentionSeen[]> {
    const seen: RetentionSeen[] = [];
    for (const p of await retention.periods(municipalityId)) {
      const records = (await retention.kind(p.kind)!.ofChild(childId)).filter((r) => !visible || visible.has(r.id));
      seen.push({
        kind: p.kind,
        description: p.description,
        days: p.days,
        publicRecord: p.publicRecord,
        records: records.map((r) => ({ recordId: r.id, deletedAfter: r.retainedFrom ? new Date(r.retainedFrom.getTime() + p.days * 86_400_000).toISOString().slice(0, 10) : null })),
      });
    }
    return seen;
  }

  router.get('/retention-policies', async (req, res) => {
    const principal = principalOf(req);
    if (principal.kind !== 'staff') throw forbidden('for the municipality’s staff', 'ROLE_REQUIRED');
    res.json({ service: deps.service, municipalityId: principal.municipalityId, items: await retention.periods(principal.municipalityId) });
  });

  router.put(
    '/retention-policies/:kind',
    validated({ params: z.object({ kind: z.string().regex(/^[a-z][a-z0-9-]{1,60}$/) }), body: z.strictObject({ days: z.number().int().min(1).max(100 * 365) }) }, async ({ params, body }, req, res) => {
      const principal = principalOf(req);
      if (principal.kind !== 'staff' || !principal.roles.some((r) => POLICY_ROLES.includes(r.role))) throw forbidden(`requires one of the roles: ${POLICY_ROLES.join(', ')}`, 'ROLE_REQUIRED');
      if (!retention.kind(params.kind)) throw notFound(`record kind ${params.kind}`);
      await retention.setPeriod(principal.municipalityId, params.kind, body.days, principal.subject);
      await audit.record(principal, { action: 'change', recordType: 'retention-policy', recordId: params.kind });
      res.json({ service: deps.service, municipalityId: principal.municipalityId, items: await retention.periods(principal.municipalityId) });
    }),
  );

  router.get(
    '/children/:childId/legal-holds',
    validated({ params: childParams }, async ({ params }, req, res) => {
      const principal = principalOf(req);
      await staffOfChild(principal, params.childId, HOLD_ROLES);
      await audit.record(principal, { action: 'read', recordType: 'legal-hold', recordId: null, childId: params.childId });
      res.json({ childId: params.childId, items: await holds.forChild(params.childId) });
    }),
  );

  router.post(
    '/children/:childId/legal-holds',
    validated({ params: childParams, body: z.strictObject({ caseRef: z.string().regex(/^[A-Za-z0-9._:/-]{1,60}$/, { error: 'a case reference (letters, digits, . _ : / -), not free text' }) }) }, async ({ params, body }, req, res) => {
      const principal = principalOf(req);
      const municipalityId = await staffOfChild(principal, params.childId, HOLD_ROLES);
      const hold = await holds.place({ childId: params.childId, municipalityId, caseRef: body.caseRef, placedBy: principal.subject, at: clock() });
      await audit.record(principal, { action: 'hold', recordType: 'legal-hold', recordId: hold._id, childId: params.childId });
      res.status(201).location(`/children/${params.childId}/legal-holds/${hold._id}`).json(hold);
    }),
  );

  router.post(
    '/children/:childId/legal-holds/:holdId/release',
    validated({ params: childParams.extend({ holdId: z.uuid() }) }, async ({ params }, req, res) => {
      const principal = principalOf(req);
      await staffOfChild(principal, params.childId, HOLD_ROLES);
      const released = await holds.release(params.childId, params.holdId, principal.subject, clock());
      if (!released) throw notFound(`open legal hold ${params.holdId}`);
      await audit.record(principal, { action: 'release', recordType: 'legal-hold', recordId: released._id, childId: params.childId });
      // The records the hold kept after the child's entry left the directory go now, as they would have then.
      if (deps.disposesRemovedChildren && !(await holds.isHeld(params.childId)) && (await directory.isRemoved?.(params.childId))) await retention.disposeChild(params.childId, 'person-removed');
      res.json(released);
    }),
  );

  router.get(
    '/children/:childId/insight',
    validated({ params: childParams }, async ({ params }, req, res) => {
      const principal = principalOf(req);
      const child = await directory.person(params.childId);
      // Only a custody holder, per the directory now (not the token's list, which may be older).
      if (principal.kind !== 'parent' || !child || !(await directory.custodyHolders(params.childId)).includes(principal.subject)) throw notFound(`child ${params.childId}`);
      const entries = await trail(params.childId);
      const records = await data.forParent(params.childId, principal.subject);
      let insight: ChildInsight = {
        service: deps.service,
        childId: params.childId,
        records,
        accessLog: await accessSeenByParent(entries.filter((e) => !data.unknownToParents?.includes(e.recordType)), principal.subject, directory),
        retention: await retentionOf(params.childId, child.municipalityId, idsOf(records)),
      };
      if (deps.extendInsight) insight = await deps.extendInsight(insight, params.childId, principal.subject);
      await audit.record(principal, { action: 'read', recordType: 'insight', recordId: null, childId: params.childId });
      res.set('cache-control', 'no-store').json(insight);
    }),
  );

  router.get(
    '/children/:childId/export',
    validated({ params: childParams }, async ({ params }, req, res) => {
      const principal = principalOf(req);
      const municipalityId = await staffOfChild(principal, params.childId, EXPORT_ROLES);
      const records = await data.all(params.childId, principal);
      const body: ChildExport = {
        service: deps.service,
        childId: params.childId,
        exportedAt: clock().toISOString(),
        records,
        accessLog: (await trail(params.childId)).map(({ prevHash: _p, hash: _h, ...e }) => e),
        retention: await retentionOf(params.childId, municipalityId),
        legalHolds: await holds.forChild(params.childId),
        disposals: await retention.disposalsOf(params.childId),
      };
      await audit.record(principal, { action: 'export', recordType: 'child-data', recordId: null, childId: params.childId, purpose: 'data-subject-access-request' });
      res.set('cache-control', 'no-store').json(body);
    }),
  );
}

/** The ids of the records a parent is shown (every part's records carry theirs as `id`). */
function idsOf(records: Record<string, unknown[]>): Set<unknown> {
  return new Set(Object.values(records).flatMap((list) => list.map((r) => (r as { id?: unknown }).id)));
}
