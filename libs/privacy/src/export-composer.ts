// The data-subject access request across the suite: asks every service for its export of one
// child (GET /children/{childId}/export, as the municipality's data-protection officer; each
// service audit-logs it) and puts the answers into one JSON document and one readable HTML
// document. Parents' insight is composed the same way (composeInsight). A service that does not
// answer is named in `missing`, never silently left out.
import type { ChildExport, ChildInsight } from './insight.js';

export interface ServiceAddress {
  service: string;
  url: string;
}

export interface ComposedExport {
  childId: string;
  composedAt: string;
  services: ChildExport[];
  missing: { service: string; status: number; detail: string }[];
}

/** Parents' insight from every service, side by side (the gateway's GET /api/children/{childId}/insight). */
export interface ComposedInsight {
  childId: string;
  composedAt: string;
  services: ChildInsight[];
  missing: { service: string; status: number; detail: string }[];
}

interface AskEvery {
  childId: string;
  services: ServiceAddress[];
  authorization: string;
  now?: Date;
  fetch?: typeof fetch;
}

/** Asks every service at once for its answer about one child; answers in the order the services were named. */
async function askEvery<T extends { childId: string }>(what: 'insight' | 'export', input: AskEvery): Promise<{ childId: string; composedAt: string; services: T[]; missing: ComposedExport['missing'] }> {
  const get = input.fetch ?? fetch;
  type Answer = { body: T } | { missing: ComposedExport['missing'][number] };
  const answers = await Promise.all<Answer>(
    input.services.map(async ({ service, url }) => {
      const res = await get(`${url}/children/${encodeURIComponent(input.childId)}/${what}`, { headers: { authorization: input.authorization, accept: 'application/json' } }).catch((error: unknown) => ({ ok: false, status: 0, text: async () => String(error) }) as Response);
      if (!res.ok) return { missing: { service, status: res.status, detail: (await res.text()).slice(0, 500) } };
      const body = (await res.json()) as T;
      // One child only: an answer about anyone else is a fault, not something to pass on.
      if (body.childId !== input.childId) throw new Error(`${service} answered the ${what} of another child`);
      return { body };
    }),
  );
  return {
    childId: input.childId,
    composedAt: (input.now ?? new Date()).toISOString(),
    services: answers.flatMap((a) => ('body' in a ? [a.body] : [])),
    missing: answers.flatMap((a) => ('missing' in a ? [a.missing] : [])),
  };
}

export function composeExport(input: AskEvery): Promise<ComposedExport> {
  return askEvery<ChildExport>('export', input);
}

export function composeInsight(input: AskEvery): Promise<ComposedInsight> {
  return askEvery<ChildInsight>('insight', input);
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function valueHtml(value: unknown): string {
  if (value === null || value === undefined) return '<span class="none">–</span>';
  if (Array.isArray(value)) return value.length === 0 ? '<span class="none">none</span>' : `<ol>${value.map((v) => `<li>${valueHtml(v)}</li>`).join('')}</ol>`;
  if (typeof value === 'object') return `<dl>${Object.entries(value as Record<string, unknown>).map(([k, v]) => `<dt>${escape(k)}</dt><dd>${valueHtml(v)}</dd>`).join('')}</dl>`;
  return escape(String(value));
}

/** A document a person can read: per service, what it keeps, who accessed it, when it goes. */
export function exportToHtml(composed: ComposedExport): string {
  const sections = composed.services.map((s) => {
    const records = Object.entries(s.records)
      .map(([kind, items]) => `<h3>${escape(kind)} (${items.length})</h3>${items.length === 0 ? '<p class="none">none</p>' : items.map((item) => `<div class="record">${valueHtml(item)}</div>`).join('')}`)
      .join('');
    const log = s.accessLog.map((e) => `<tr><td>${escape(String(e.at))}</td><td>${escape(e.action)} (${escape(e.operation)})</td><td>${escape(e.recordType)}</td><td>${escape(e.actorKind)} ${escape(e.actor)}</td><td>${escape(e.roles.join(', '))}</td><td>${escape(e.purpose ?? '')}</td></tr>`).join('');
    const retention = s.retention.map((r) => `<tr><td>${escape(r.kind)}</td><td>${escape(r.description)}</td><td>${r.days}</td><td>${r.records.map((x) => `${escape(x.recordId)}: ${x.deletedAfter ? escape(x.deletedAfter) : 'in use'}`).join('<br>')}</td></tr>`).join('');
    return `<section><h2>${escape(s.service)}</h2>${records}
<h3>Access log (${s.accessLog.length})</h3><table><tr><th>when</th><th>what</th><th>record</th><th>who</th><th>roles</th><th>purpose</th></tr>${log}</table>
<h3>Retention</h3><table><tr><th>kind</th><th>what</th><th>days</th><th>records</th></tr>${retention}</table>
<h3>Legal holds</h3>${valueHtml(s.legalHolds)}<h3>Deleted after retention</h3>${valueHtml(s.disposals)}</section>`;
  });
  const missing = composed.missing.length > 0 ? `<section class="missing"><h2>Services that did not answer</h2><ul>${composed.missing.map((m) => `<li>${escape(m.service)}: ${m.status}</li>`).join('')}</ul></section>` : '';
  return `<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>Data about child ${escape(composed.childId)}</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}dt{font-weight:bold}.record{border-left:3px solid #ccc;padding-left:.5rem;margin:.5rem 0}.none{color:#777}</style></head>
<body><h1>Everything Spor keeps about child ${escape(composed.childId)}</h1><p>Composed ${escape(composed.composedAt)} for a data-subject access request; every service logged this export.</p>
${missing}${sections.join('\n')}</body></html>
`;
}
