// POST /admin/imports: the directory from municipal IT in one JSON file, all or nothing.
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { AppError, conflict, validated, z, type FieldError } from '@spor/service-kit';
import { importJobView } from '@spor/mongo';
import { CSV_SECTIONS, csvToImport, type CsvSection } from '../domain/csv-import.js';
import { importJobRoute, principalOf, requireRole } from '@spor/auth';
import { checkImport, importFileSchema, type ImportFile, type ImportProblem } from '../domain/directory-import.js';
import { applyImport, type ImportTargets } from '../domain/apply-import.js';
import { parseCpr, type Cpr } from '../domain/cpr.js';
import { todayIso } from '../domain/calendar.js';
import type { CprVault } from '../domain/cpr-vault.js';
import type { ImportJobs } from '../store/import-jobs.js';
import type { AuditLog } from '@spor/audit';
import type { OrgUnitRepository } from '../store/org-unit-repository.js';
import { loginHolder, type PersonRepository } from '../store/person-repository.js';

export interface ImportDeps {
  jobs: ImportJobs;
  vault: CprVault;
  audit: AuditLog;
  units: OrgUnitRepository;
  persons: PersonRepository;
  targets: ImportTargets;
}


function refuse(problems: ImportProblem[]): never {
  const errors: FieldError[] = problems.map((p) => ({ in: 'body', field: p.row ? `${p.section}[${p.row}].${p.field}` : p.field, message: p.message }));
  throw new AppError({
    status: 422,
    code: 'IMPORT_INVALID',
    title: 'The import file has bad rows; nothing was imported',
    detail: `${problems.length} problem(s) in ${new Set(problems.map((p) => `${p.section}:${p.row}`)).size} row(s)`,
    errors,
  });
}

function cprsOf(file: ImportFile): Map<string, Cpr> {
  const raw = [...file.persons.map((p) => p.cpr), ...file.memberships.map((m) => m.cpr), ...file.guardianships.flatMap((g) => [g.parentCpr, g.childCpr])];
  const cprs = new Map<string, Cpr>();
  for (const value of raw) {
    const parsed = parseCpr(value);
    if (parsed.ok) cprs.set(value, parsed.cpr);
  }
  return cprs;
}

export function importRoutes(router: Router, deps: ImportDeps, bodyLimit: string): void {
  router.post('/admin/imports', requireRole('system-administrator'), (req, res) => runImport(deps, req, res, req.body));
  importJobRoute(router, '/admin/import-jobs', ['system-administrator'], (id) => deps.jobs.get(id), importJobView);
  router.post(
    '/admin/imports/:section',
    requireRole('system-administrator'),
    express.text({ type: ['text/csv', 'application/csv'], limit: bodyLimit }),
    validated({ params: z.object({ section: z.enum(Object.keys(CSV_SECTIONS) as [CsvSection, ...CsvSection[]]) }) }, async ({ params }, req, res) => {
      if (!req.is(['text/csv', 'application/csv'])) {
        throw new AppError({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported media type', detail: 'a section import is a CSV file: Content-Type text/csv' });
      }
      await runImport(deps, req, res, csvToImport(params.section, String(req.body ?? '')));
    }),
  );
}

async function runImport(deps: ImportDeps, req: Request, res: Response, body: unknown): Promise<void> {
  const principal = principalOf(req);
  const shape = importFileSchema.safeParse(body);
  if (!shape.success) {
    refuse(shape.error.issues.map((issue) => {
      const [section, index, ...field] = issue.path.map(String);
      const known = ['units', 'persons', 'memberships', 'guardianships'].includes(section ?? '');
      return known && index !== undefined
        ? { section: section as ImportProblem['section'], row: Number(index) + 1, field: field.join('.'), message: issue.message }
        : { section: 'file', row: 0, field: issue.path.join('.'), message: issue.message };
    }));
  }
  const file = shape.data;
  const municipalityId = principal.municipalityId;

  // Look up what the file refers to in the directory, then check the whole file.
  const personKinds = new Map<string, string>();
  const personIds = new Map<string, string>();
  const elsewhere = new Set<string>();
  for (const cpr of cprsOf(file).values()) {
    const person = await deps.persons.findByCprHash(deps.vault.lookupHash(cpr));
    if (person && person.municipalityId !== principal.municipalityId) elsewhere.add(cpr);
    else if (person) {
      personKinds.set(cpr, person.kind);
      personIds.set(cpr, person._id);
    }
  }
  const staffLogins = new Map<string, { personId: string; described: string }>();
  for (const p of file.persons) {
    if (p.kind !== 'staff' || !p.externalId || staffLogins.has(p.externalId)) continue;
    const holder = await deps.persons.findStaffByExternalId(p.externalId);
    if (holder) staffLogins.set(p.externalId, { personId: holder._id, described: loginHolder(holder, principal.municipalityId) });
  }
  const root = await deps.units.root(municipalityId);
  const { problems, cprs } = checkImport(file, municipalityId, {
    unitKinds: await deps.units.kindsByExternalId(municipalityId),
    personKinds,
    personIds,
    staffLogins,
    elsewhere,
    ...(root ? { municipalityRoot: { unitId: root._id, externalId: root.externalId ?? null } } : {}),
  });
  if (problems.length > 0) refuse(problems);

  const jobId = deps.vault.keyedDigest(`${municipalityId}\n${JSON.stringify(body)}`).slice(0, 32);
  const job = { _id: jobId, municipalityId, actor: principal.subject, payload: deps.vault.sealText(JSON.stringify(file), jobId) };
  // The entry before the job, as for every write: an attempt the sweep finishes later is on the record too.
  await deps.audit.record(principal, { action: 'import', recordType: 'import', recordId: jobId });
  const run = await deps.jobs.applyNow(job, () => applyImport(file, municipalityId, cprs, deps.vault, deps.targets, todayIso()), req.log);
  if (run.status === 'busy') throw conflict('IMPORT_IN_PROGRESS', `this file is being imported already (job ${jobId})`, (run.until.getTime() - Date.now()) / 1000);
  if (run.repeated) {
    res.status(200).json({ jobId, status: 'done', repeated: true, counts: run.counts });
    return;
  }
  res.status(201).json({ jobId, status: 'done', counts: run.counts });
}

/** Finishes the imports whose attempt ended without an end: a stopped process, a failed request (each step is idempotent). */
export function resumeImports(deps: ImportDeps, logger: Logger): Promise<number> {
  return deps.jobs.resume((job) => {
    const file = importFileSchema.parse(JSON.parse(deps.vault.openText(job.payload!, job._id)));
    return applyImport(file, job.municipalityId, cprsOf(file), deps.vault, deps.targets, todayIso());
  }, logger);
}
