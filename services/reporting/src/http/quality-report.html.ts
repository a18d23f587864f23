// The quality report as one self-contained HTML page (inline CSS and SVG, no scripts, no external
// assets) that the administration can hand to politicians: per figure a chart over the months
// for the unit, a table of the months and the breakdown. Hidden cells read "<5".
import { FIGURES, type ProtectedFigure } from '../domain/report.js';
import type { QualityReport } from './figure.routes.js';

const TITLES: Record<string, string> = {
  wellbeing: 'Trivsel (trafiklys)',
  movement: 'Bevægelser i trivsel (fra gul/rød til grøn)',
  language: 'Sprogvurdering: indsatskategori',
  plans: 'Aktive handleplaner efter højeste indsatsniveau (ultimo måneden)',
  escalations: 'Handleplaner: op- og nedtrapninger',
  overdue: 'Evalueringer over tid',
  cases: 'Ressourcesager efter afgørelse',
  transitions: 'Overgange: planlagt og kvitteret',
  handovers: 'Overleveringer: samtykke eller retningslinjer',
};
const COLOURS = ['#2e7d32', '#f9a825', '#c62828', '#1565c0', '#6a1b9a', '#00838f', '#5d4037'];
const LIGHT_COLOURS: Record<string, string> = { green: '#2e7d32', yellow: '#f9a825', red: '#c62828' };

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const show = (v: number | null | undefined) => (v === null ? '&lt;5' : v === undefined ? '' : String(v));

function chart(months: string[], rows: (ProtectedFigure | undefined)[], keys: string[]): string {
  const width = 640;
  const height = 180;
  const barWidth = Math.max(8, Math.floor((width - 40) / Math.max(1, months.length)) - 6);
  const max = Math.max(1, ...rows.map((r) => keys.reduce((s, k) => s + (r?.cells[k] ?? 0), 0)));
  const bars = months
    .map((m, i) => {
      const row = rows[i];
      let y = height - 20;
      const x = 30 + i * (barWidth + 6);
      const parts = keys
        .map((k, j) => {
          const v = row?.cells[k];
          if (v === null) return `<rect x="${x}" y="${height - 24}" width="${barWidth}" height="4" fill="#9e9e9e"><title>${esc(m)} ${esc(k)}: under 5</title></rect>`;
          if (!v) return '';
          const h = (v / max) * (height - 40);
          y -= h;
          return `<rect x="${x}" y="${y.toFixed(1)}" width="${barWidth}" height="${h.toFixed(1)}" fill="${LIGHT_COLOURS[k] ?? COLOURS[j % COLOURS.length]}"><title>${esc(m)} ${esc(k)}: ${v}</title></rect>`;
        })
        .join('');
      return `${parts}<text x="${x + barWidth / 2}" y="${height - 6}" font-size="9" text-anchor="middle">${esc(m.slice(2))}</text>`;
    })
    .join('');
  const legend = keys.map((k, j) => `<tspan fill="${LIGHT_COLOURS[k] ?? COLOURS[j % COLOURS.length]}">■</tspan> ${esc(k)}`).join('  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 16}" role="img" aria-label="chart"><text x="30" y="12" font-size="11">${legend}</text><line x1="28" y1="${height - 20}" x2="${width}" y2="${height - 20}" stroke="#555"/><text x="0" y="24" font-size="9">${max}</text>${bars}</svg>`;
}

function table(header: string[], lines: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${lines.map((l) => `<tr>${l.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function qualityReportHtml(report: QualityReport): string {
  const months = report.columns.filter((c) => c.month !== 'period').map((c) => c.month);
  const last = report.columns.find((c) => c.month === months.at(-1))!;
  const period = report.columns.find((c) => c.month === 'period');
  const label = (unitId: string) => {
    const u = report.units.find((x) => x.unitId === unitId);
    return esc(`${u?.kind ?? ''} ${u?.externalId ?? unitId.slice(0, 8)}`);
  };
  const rowOf = (month: string, unitId: string, figure: string) => report.columns.find((c) => c.month === month)?.units[unitId]?.[figure] as ProtectedFigure | undefined;
  const sections = Object.entries(FIGURES).map(([figure, def]) => {
    const keys = def.keys;
    const withTotal = def.partition ? [...keys, 'total'] : keys;
    const own = months.map((m) => rowOf(m, report.unitId, figure));
    const monthly = table(['måned', ...withTotal], months.map((m, i) => [esc(m), ...withTotal.map((k) => show(k === 'total' ? own[i]?.total : own[i]?.cells[k]))]));
    const breakdownColumn = def.flow && period ? 'period' : last.month;
    const breakdown = table(
      [`enhed (${breakdownColumn === 'period' ? `${report.from}–${report.to}` : breakdownColumn})`, ...withTotal],
      report.units.map((u) => {
        const r = rowOf(breakdownColumn, u.unitId, figure);
        return [label(u.unitId), ...withTotal.map((k) => show(k === 'total' ? r?.total : r?.cells[k]))];
      }),
    );
    return `<section><h2>${esc(TITLES[figure] ?? figure)}</h2>${chart(months, own, keys)}${monthly}${report.units.length > 1 ? breakdown : ''}</section>`;
  });
  const coverage = (last.units[report.unitId]?.coverage ?? {}) as Record<string, ProtectedFigure>;
  const coverageTable = table(
    ['instrument', 'årgang', 'vurderet', 'ikke vurderet', 'i alt', 'andel'],
    Object.entries(coverage).map(([name, row]) => {
      const [instrument, cohort] = name.split(':');
      const share = row.total && row.cells.assessed !== null ? `${Math.round((row.cells.assessed! / row.total) * 100)} %` : '';
      return [esc(instrument ?? ''), esc(cohort ?? ''), show(row.cells.assessed), show(row.cells.notAssessed), show(row.total), share];
    }),
  );
  const own = (figure: string) => (period ?? last).units[report.unitId]?.[figure] as number | null | undefined;
  return `<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>Kvalitetsrapport ${esc(report.from)}–${esc(report.to)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #bbb;padding:.2rem .5rem;text-align:right}th:first-child,td:first-child{text-align:left}section{page-break-inside:avoid;margin-bottom:2rem}.note{color:#555;font-size:.9rem}</style>
</head><body>
<h1>Kvalitetsrapport</h1>
<p>${label(report.unitId)}, ${esc(report.from)} til ${esc(report.to)}. Dannet ${esc(report.generatedAt)}.</p>
<p class="note">Tal under ${report.minimumCell} børn vises som &lt;5, og yderligere celler skjules, så de ikke kan regnes ud af totaler, andre enheder eller andre måneder (R16). Ingen personoplysninger indgår.</p>
<p>Andel af overleveringer med samtykke: ${own('shareWithConsent') == null ? '–' : `${Math.round(own('shareWithConsent')! * 100)} %`}. Gennemsnitlig sagsbehandlingstid for ressourcesager: ${own('meanDaysToDecision') == null ? '–' : `${own('meanDaysToDecision')} dage`}.</p>
${sections.join('\n')}
<section><h2>Dækning af vurderinger (${esc(last.month)})</h2><p class="note">Børn, der burde være vurderet med redskabet (indskrevet i et tilbud, som redskabet gælder for, og i den alder det dækker), og hvor mange der er vurderet inden for de seneste 12 måneder (sprogvurdering: før skolestart, fra 30 måneder).</p>${coverageTable}</section>
</body></html>`;
}
