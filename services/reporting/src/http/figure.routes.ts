// Management information (R16): figures per group, institution, district and municipality and
// month, each protected against small cells. A leader sees their institution (and its groups), a
// district council member their district, the administration and the pedagogical consultants the
// whole municipality. Every read is audit-logged.
import type { Router } from 'express';
import { AppError, forbidden, notFound, validated, z } from '@spor/service-kit';
import { principalOf, type Principal } from '@spor/auth';
import type { DirectoryView, KnownUnit } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import { FIGURE_NAMES, buildReport, type ReportColumn, type ReportUnit } from '../domain/report.js';
import { monthAt, monthIndex } from '../domain/contributions.js';
import type { Projections } from '../store/projections.js';
import { reportCsv } from './csv.js';
import { FigureCache } from './figure-cache.js';
import { qualityReportHtml } from './quality-report.html.js';

const READERS = ['leader', 'district-council-member', 'administration', 'pedagogical-consultant', 'system-administrator'];
export const MAX_MONTHS = 24;

export interface FigureDeps {
  projections: Projections;
  directory: DirectoryView;
  audit: AuditLog;
}

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: 'must be YYYY-MM' });
const figure = z.enum(FIGURE_NAMES);
const oneMonth = z.strictObject({ unitId: z.uuid(), month });
const period = z.strictObject({ unitId: z.uuid(), from: month, to: month });

export interface Scoped {
  unit: KnownUnit;
  units: (ReportUnit & { externalId?: string })[];
  /** The municipality's tree the breakdown was read from (null for a group, which has none). */
  tree: readonly KnownUnit[] | null;
}

/** The queries behind the routes (the benchmark calls them without HTTP). */
export function figureQueries(deps: FigureDeps) {
  const { projections, directory } = deps;

  /** The unit asked about, if the principal may see it, with its breakdown one level down (two for the municipality). */
  async function scope(principal: Principal, unitId: string): Promise<Scoped> {
    const path = await directory.unitPath(unitId);
    const unit = path[0];
    if (!unit || unit.municipalityId !== principal.municipalityId) throw notFound(`unit ${unitId}`);
    const ids = new Set(path.map((u) => u._id));
    if (!(principal.kind === 'staff' && principal.roles.some((r) => READERS.includes(r.role) && ids.has(r.unitId)))) {
      throw forbidden('figures are for the unit’s leader and those above it', 'ROLE_REQUIRED');
    }
    const tree = unit.kind === 'group' ? null : await directory.unitsOf(unit.municipalityId);
    const all = tree ?? [];
    const own = { unitId: unit._id, kind: unit.kind, parentId: null, ...(unit.externalId ? { externalId: unit.externalId } : {}) };
    const entry = (u: KnownUnit, parentId: string) => ({ unitId: u._id, kind: u.kind, parentId, ...(u.externalId ? { externalId: u.externalId } : {}) });
    const under = (id: string, kind: KnownUnit['kind']) => all.filter((u) => u.parentId === id && u.kind === kind && !u.closedOn);
    if (unit.kind === 'institution') return { unit, tree, units: [own, ...under(unit._id, 'group').map((g) => entry(g, unit._id))] };
    if (unit.kind === 'district') return { unit, tree, units: [own, ...under(unit._id, 'institution').map((i) => entry(i, unit._id))] };
    if (unit.kind === 'municipality') {
      const districts = under(unit._id, 'district');
      return {
        unit,
        tree,
        units: [own, ...districts.map((d) => entry(d, unit._id)), ...under(unit._id, 'institution').map((i) => entry(i, unit._id)), ...districts.flatMap((d) => under(d._id, 'institution').map((i) => entry(i, d._id)))],
      };
    }
    return { unit, tree, units: [own] };
  }

  /** The raw counts of each unit in the report and month: institutions and groups from their cells, districts and the municipality as sums. */
  async function rawCounts(scoped: Scoped, months: string[]): Promise<(unitId: string, month: string) => Record<string, number>> {
    const { unit, units } = scoped;
    const byUnit = new Map<string, Record<string, number>>();
    const cells = await projections.cellsOf(unit.kind === 'group' ? { groupId: unit._id } : unit.kind === 'institution' ? { institutionId: unit._id } : { municipalityId: unit.municipalityId }, months);
    for (const cell of cells) byUnit.set(`${cell.groupId ?? cell.institutionId}|${cell.month}`, cell.c);
    const tree = new Map<string, string[]>();
    for (const u of units) if (u.parentId) tree.set(u.parentId, [...(tree.get(u.parentId) ?? []), u.unitId]);
    const institutionsUnder = (): Map<string, string[]> => {
      // A district's or municipality's figure is the sum of every institution under it, listed in the report or not.
      const all = scoped.tree ?? [];
      const parent = new Map(all.map((u) => [u._id, u.parentId]));
      const out = new Map<string, string[]>();
      for (const i of all.filter((u) => u.kind === 'institution')) {
        for (let p = parent.get(i._id); p; p = parent.get(p)) out.set(p, [...(out.get(p) ?? []), i._id]);
      }
      return out;
    };
    const sums = unit.kind === 'district' || unit.kind === 'municipality' ? institutionsUnder() : new Map<string, string[]>();
    return (unitId, m) => {
      const own = byUnit.get(`${unitId}|${m}`);
      if (own) return own;
      const parts = sums.get(unitId);
      if (!parts) return {};
      const total: Record<string, number> = {};
      for (const i of parts) for (const [k, n] of Object.entries(byUnit.get(`${i}|${m}`) ?? {})) total[k] = (total[k] ?? 0) + n;
      return total;
    };
  }

  const cache = new FigureCache<ReportColumn[]>();
  async function report(principal: Principal, unitId: string, months: string[], options: { period: boolean; only?: string }) {
    const scoped = await scope(principal, unitId);
    // The tokens first: cells written after this read give a new token, so nothing older than them is kept.
    const revision = await projections.revisionOf(scoped.unit.municipalityId, months);
    const key = `${unitId}|${months.join(',')}|${options.period}|${options.only ?? ''}`;
    const columns = await cache.get(key, revision, scoped.tree, async () => buildReport(scoped.units, months, await rawCounts(scoped, months), options));
    return { scoped, columns };
  }
  return { scope, report };
}

export function figureRoutes(router: Router, deps: FigureDeps): void {
  const queries = figureQueries(deps);
  async function report(principal: Principal, unitId: string, months: string[], options: { period: boolean; only?: string }) {
    const result = await queries.report(principal, unitId, months, options);
    await deps.audit.record(principal, { action: 'read', recordType: 'figures', recordId: result.scoped.unit._id });
    return result;
  }

  const monthsOf = (from: string, to: string): string[] => {
    const [a, b] = [monthIndex(from), monthIndex(to)];
    if (b < a) throw new AppError({ status: 400, code: 'VALIDATION_FAILED', title: 'The request is not valid', detail: 'query.to: must not be before from', errors: [{ in: 'query', field: 'to', message: 'must not be before from' }] });
    if (b - a + 1 > MAX_MONTHS) throw new AppError({ status: 400, code: 'VALIDATION_FAILED', title: 'The request is not valid', detail: `query.to: a period is at most ${MAX_MONTHS} months`, errors: [{ in: 'query', field: 'to', message: `a period is at most ${MAX_MONTHS} months` }] });
    return Array.from({ length: b - a + 1 }, (_, i) => monthAt(a + i));
  };

  const single = (scoped: Scoped, m: string, columns: ReportColumn[]) => ({
    unitId: scoped.unit._id,
    kind: scoped.unit.kind,
    month: m,
    units: scoped.units.map((u) => ({ ...u, figures: columns[0]!.units[u.unitId]! })),
  });

  router.get(
    '/figures',
    validated({ query: oneMonth }, async ({ query }, req, res) => {
      const { scoped, columns } = await report(principalOf(req), query.unitId, [query.month], { period: false });
      res.json(single(scoped, query.month, columns));
    }),
  );

  router.get(
    '/figures/:figure',
    validated({ params: z.strictObject({ figure }), query: oneMonth }, async ({ params, query }, req, res) => {
      const { scoped, columns } = await report(principalOf(req), query.unitId, [query.month], { period: false, only: params.figure });
      res.json({ figure: params.figure, ...single(scoped, query.month, columns) });
    }),
  );

  router.get(
    '/figures/:figure/export.csv',
    validated({ params: z.strictObject({ figure }), query: period }, async ({ params, query }, req, res) => {
      const months = monthsOf(query.from, query.to);
      const { scoped, columns } = await report(principalOf(req), query.unitId, months, { period: true, only: params.figure });
      res
        .type('text/csv; charset=utf-8')
        .setHeader('content-disposition', `attachment; filename="${params.figure}-${query.from}-${query.to}.csv"`)
        .send(reportCsv(scoped.units, columns));
    }),
  );

  const snapshot = async (principal: Principal, query: z.infer<typeof period>) => {
    const months = monthsOf(query.from, query.to);
    const { scoped, columns } = await report(principal, query.unitId, months, { period: true });
    return qualityReport(scoped, query.from, query.to, columns);
  };

  router.get(
    '/quality-report',
    validated({ query: period }, async ({ query }, req, res) => {
      res.json(await snapshot(principalOf(req), query));
    }),
  );

  router.get(
    '/quality-report.html',
    validated({ query: period }, async ({ query }, req, res) => {
      res.type('text/html; charset=utf-8').send(qualityReportHtml(await snapshot(principalOf(req), query)));
    }),
  );
}

export interface QualityReport {
  municipalityId: string;
  unitId: string;
  kind: string;
  from: string;
  to: string;
  generatedAt: string;
  minimumCell: number;
  units: (ReportUnit & { externalId?: string })[];
  columns: ReportColumn[];
}

function qualityReport(scoped: Scoped, from: string, to: string, columns: ReportColumn[]): QualityReport {
  return { municipalityId: scoped.unit.municipalityId, unitId: scoped.unit._id, kind: scoped.unit.kind, from, to, generatedAt: new Date().toISOString(), minimumCell: 5, units: scoped.units, columns };
}
