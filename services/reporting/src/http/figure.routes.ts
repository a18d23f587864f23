// Management information (R16): figures per institution, district and municipality, each
// protected against small cells. A leader sees their institution, a district council member
// their district, the administration and the pedagogical consultants the whole municipality.
import type { Router } from 'express';
import { forbidden, notFound, validated, z } from '@spor/service-kit';
import { principalOf, type Principal } from '@spor/auth';
import type { DirectoryView, KnownUnit } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import { protectWithBreakdown, type Row } from '../domain/suppression.js';
import type { Projections } from '../store/projections.js';

const READERS = ['leader', 'district-council-member', 'administration', 'pedagogical-consultant', 'system-administrator'];
const LIGHTS = ['green', 'yellow', 'red'] as const;
const LEVELS = ['preventive', 'anticipatory', 'intervening'] as const;

export interface FigureDeps {
  projections: Projections;
  directory: DirectoryView;
  audit: AuditLog;
  /** Institutions in the municipality: the units reporting knows. */
  institutionsUnder: (unit: KnownUnit) => Promise<KnownUnit[]>;
}

export function figureRoutes(router: Router, deps: FigureDeps): void {
  const { projections, directory, audit } = deps;

  async function scope(principal: Principal, unitId: string): Promise<{ unit: KnownUnit; institutions: KnownUnit[] }> {
    const path = await directory.unitPath(unitId);
    const unit = path[0];
    if (!unit || unit.municipalityId !== principal.municipalityId || unit.kind === 'group') throw notFound(`unit ${unitId}`);
    const ids = new Set(path.map((u) => u._id));
    if (!(principal.kind === 'staff' && principal.roles.some((r) => READERS.includes(r.role) && ids.has(r.unitId)))) throw forbidden('figures are for the unit’s leader and those above it', 'ROLE_REQUIRED');
    return { unit, institutions: unit.kind === 'institution' ? [unit] : await deps.institutionsUnder(unit) };
  }

  /** The newest team rating per child in the month, per institution. */
  async function wellbeingRows(institutions: KnownUnit[], month: string): Promise<Record<string, Row>> {
    const rows: Record<string, Row> = {};
    for (const institution of institutions) {
      const ratings = await projections.ratings.find({ institutionId: institution._id, month }).toArray();
      const latest = new Map<string, (typeof ratings)[number]>();
      for (const r of ratings) if ((latest.get(r.childId)?.completedOn ?? '') <= r.completedOn) latest.set(r.childId, r);
      const cells = Object.fromEntries(LIGHTS.map((l) => [l, 0])) as Record<string, number>;
      for (const r of latest.values()) if (r.category && r.category in cells) cells[r.category]!++;
      rows[institution._id] = { cells };
    }
    return rows;
  }

  const sum = (rows: Row[], keys: readonly string[]): Row => ({ cells: Object.fromEntries(keys.map((k) => [k, rows.reduce((s, r) => s + (r.cells[k] ?? 0), 0)])) });

  router.get(
    '/figures/wellbeing',
    validated({ query: z.strictObject({ unitId: z.uuid(), month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: 'must be YYYY-MM' }) }) }, async ({ query }, req, res) => {
      const principal = principalOf(req);
      const { unit, institutions } = await scope(principal, query.unitId);
      const rows = await wellbeingRows(institutions, query.month);
      const figure = protectWithBreakdown(sum(Object.values(rows), LIGHTS), unit.kind === 'institution' ? {} : rows);
      await audit.record(principal, { action: 'read', recordType: 'figures', recordId: unit._id });
      res.json({ unitId: unit._id, kind: unit.kind, month: query.month, wellbeing: figure.total, institutions: figure.parts });
    }),
  );

  router.get(
    '/figures/plans',
    validated({ query: z.strictObject({ unitId: z.uuid() }) }, async ({ query }, req, res) => {
      const principal = principalOf(req);
      const { unit, institutions } = await scope(principal, query.unitId);
      const rows: Record<string, Row> = {};
      for (const institution of institutions) {
        const active = await projections.plans.find({ institutionId: institution._id, status: 'active' }).toArray();
        const cells = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<string, number>;
        // Each active plan counts once, at the highest effort level it holds.
        for (const plan of active) {
          const highest = [...LEVELS].reverse().find((l) => plan.effortLevels.includes(l));
          if (highest) cells[highest]!++;
        }
        rows[institution._id] = { cells };
      }
      const figure = protectWithBreakdown(sum(Object.values(rows), LEVELS), unit.kind === 'institution' ? {} : rows);
      await audit.record(principal, { action: 'read', recordType: 'figures', recordId: unit._id });
      res.json({ unitId: unit._id, kind: unit.kind, activePlansByHighestLevel: figure.total, institutions: figure.parts });
    }),
  );
}
