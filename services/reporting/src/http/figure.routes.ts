// Management information (R16): figures per group, institution, district and municipality and
// month, each protected against small cells. A leader sees their institution (and its groups), a
// district council member their district, the administration and the pedagogical consultants the
// whole municipality. Every read is audit-logged.
import type { Router } from 'express';
import { AppError, forbidden, notFound, validated, z } from '@spor/service-kit';
import { principalOf, type Principal } from '@spor/auth';
import type { DirectoryView, KnownUnit } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import { FIGURE_NAMES, buildReport, countsOfUnits, decideMonth, type MonthDecision, type ReportColumn, type ReportUnit } from '../domain/report.js';
import { monthAt, monthIndex } from '../domain/contributions.js';
import type { Projections } from '../store/projections.js';
import { reportCsv } from './csv.js';
import { FigureCache } from './figure-cache.js';
import { qualityReportHtml } from './quality-report.html.js';

const READERS = ['leader', 'district-council-member', 'administration', 'pedagogical-consultant', 'system-administrator'];
export const MAX_MONTHS = 24;
/** Month decisions kept in the process: a 24-month quality report of five municipalities. */
const DECISIONS_KEPT = 120;

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
  /** The municipality's whole tree, which the breakdown was read from and the months are decided over. */
  tree: readonly KnownUnit[];
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
    const tree = await directory.unitsOf(unit.municipalityId);
    const own = { unitId: unit._id, kind: unit.kind, parentId: null, ...(unit.externalId ? { externalId: unit.externalId } : {}) };
    const entry = (u: KnownUnit, parentId: string) => ({ unitId: u._id, kind: u.kind, parentId, ...(u.externalId ? { externalId: u.externalId } : {}) });
    const under = (id: string, kind: KnownUnit['kind']) => tree.filter((u) => u.parentId === id && u.kind === kind && !u.closedOn);
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

  /**
   * The month's decision of which cells are hidden, over the municipality's whole tree (see
   * report.ts), kept under the month's revision token and the tree: a change of the month's cells
   * or of the organisation makes a new one, and every report of the month reads the one kept.
   */
  const decisions = new FigureCache<MonthDecision>(DECISIONS_KEPT);
  function decisionOf(municipalityId: string, month: string, token: string, tree: readonly KnownUnit[]): Promise<MonthDecision> {
    return decisions.get(`${municipalityId}|${month}`, token, tree, async () => {
      const units = tree.map((u) => ({ unitId: u._id, parentId: u.parentId, kind: u.kind }));
      return decideMonth(units, month, countsOfUnits(units, await projections.cellsOf(municipalityId, month)));
    });
  }

  const cache = new FigureCache<ReportColumn[]>();
  async function report(principal: Principal, unitId: string, months: string[], options: { period: boolean; only?: string }) {
    const scoped = await scope(principal, unitId);
    const municipalityId = scoped.unit.municipalityId;
    // The tokens first: cells written after this read give a new token, so nothing older than them is kept.
    const tokens = await projections.revisionsOf(municipalityId, months);
    const key = `${unitId}|${months.join(',')}|${options.period}|${options.only ?? ''}`;
    const columns = await cache.get(key, tokens.join(','), scoped.tree, async () => {
      const decided = await Promise.all(months.map((m, i) => decisionOf(municipalityId, m, tokens[i]!, scoped.tree)));
      return buildReport(scoped.units, months, decided, options);
    });
    return { scoped, columns };
  }
  return { scope, report };
}

export function figureRoutes(router: Router, deps: FigureDeps): void {
  const queries = figureQueries(deps);
  /**
   * A report, audit-logged with what was asked for: a read on screen, an export when the figures
   * leave as a file (CSV, the printable report), so the access report tells which figures left.
   */
  async function report(principal: Principal, unitId: string, months: string[], options: { period: boolean; only?: string }, format?: 'csv' | 'html') {
    const result = await queries.report(principal, unitId, months, options);
    const criterion = { figure: options.only ?? 'all', from: months[0]!, to: months.at(-1)!, ...(format ? { format } : {}) };
    await deps.audit.record(principal, { action: format ? 'export' : 'read', recordType: 'figures', recordId: result.scoped.unit._id, criterion });
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
      const { scoped, columns } = await report(principalOf(req), query.unitId, months, { period: true, only: params.figure }, 'csv');
      res
        .type('text/csv; charset=utf-8')
        .setHeader('content-disposition', `attachment; filename="${params.figure}-${query.from}-${query.to}.csv"`)
        .send(reportCsv(scoped.units, columns));
    }),
  );

  const snapshot = async (principal: Principal, query: z.infer<typeof period>, format?: 'html') => {
    const months = monthsOf(query.from, query.to);
    const { scoped, columns } = await report(principal, query.unitId, months, { period: true }, format);
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
      res.type('text/html; charset=utf-8').send(qualityReportHtml(await snapshot(principalOf(req), query, 'html')));
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
