// POST /imports/enrollments: placements from municipal IT, as one JSON file or one CSV file,
// all or nothing. Children are named by CPR number, which identity maps to pseudonymous ids
// (an audited service call); the CPR numbers are then forgotten.
import { createHash, randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import { AppError, conflict, readCsv, type FieldError, type Logger } from '@spor/service-kit';
import { importJobView } from '@spor/mongo';
import { importJobRoute, importerPrincipal, lookUpPersonsByCpr, principalOf, requireRole, type ServiceTokenClient } from '@spor/auth';
import type { AuditLog } from '@spor/audit';
import { recordPlacement } from '../placement-audit.js';
import type { DirectoryView } from '@spor/directory';
import { samePlacement, enrol, type ChildEnrollment, type InstitutionType, type Placement } from '../domain/enrollment.js';
import { ENROLLMENT_CSV_COLUMNS, checkEnrollmentFile, enrollmentFileSchema, type ImportProblem, type ResolvedRow } from '../domain/enrollment-import.js';
import type { EnrollmentRepository } from '../store/enrollment-repository.js';
import type { ImportJobs, ImportPayload } from '../store/import-jobs.js';

export interface ImportDeps {
  jobs: ImportJobs;
  audit: AuditLog;
  enrollments: EnrollmentRepository;
  directory: DirectoryView;
  /** identity, for mapping CPR numbers; undefined when not configured. */
  identity: ServiceTokenClient | undefined;
  logger: Logger;
}

function refuse(problems: ImportProblem[]): never {
  const errors: FieldError[] = problems.map((p) => ({ in: 'body', field: p.row ? `enrollments[${p.row}].${p.field}` : p.field, message: p.message }));
  throw new AppError({ status: 422, code: 'IMPORT_INVALID', title: 'The import file has bad rows; nothing was imported', detail: `${problems.length} problem(s) in ${new Set(problems.map((p) => p.row)).size} row(s)`, errors });
}

/**
 * Applies checked rows; each is idempotent, so a resumed job changes nothing already done. A
 * placement it makes is audit-logged on the child before it is written (`audited`).
 */
export async function applyRows(enrollments: EnrollmentRepository, rows: ResolvedRow[], municipalityId: string, audited: (childId: string, placement: Placement) => Promise<void>): Promise<{ created: number; unchanged: number }> {
  const counts = { created: 0, unchanged: 0 };
  for (const r of [...rows].sort((a, b) => a.from.localeCompare(b.from))) {
    const current = await enrollments.get(r.childId);
    const placement: Placement = { placementId: randomUUID(), institutionId: r.institutionId, institutionType: r.institutionType, groupId: r.groupId, from: r.from, to: r.to };
    if (samePlacement(current as ChildEnrollment | null, placement)) {
      counts.unchanged++;
      continue;
    }
    const next = enrol(current, municipalityId, placement);
    await audited(r.childId, placement);
    await enrollments.enrolled(r.childId, current, next, placement);
    counts.created++;
  }
  return counts;
}


export function importRoutes(router: Router, deps: ImportDeps): void {
  importJobRoute(router, '/imports/enrollments', ['system-administrator', 'administration'], (id) => deps.jobs.get(id), importJobView);
  router.post(
    '/imports/enrollments',
    requireRole('system-administrator', 'administration'),
    express.text({ type: ['text/csv', 'application/csv'], limit: '10mb' }),
    async (req, res) => {
      const principal = principalOf(req);
      const municipalityId = principal.municipalityId;
      if (!deps.identity) throw new AppError({ status: 503, code: 'IMPORT_NOT_CONFIGURED', title: 'Imports are not configured', detail: 'set IDENTITY_URL and TRANSITIONS_CLIENT_SECRET: imports map CPR numbers through identity' });
      const body = req.is(['text/csv', 'application/csv']) ? { enrollments: readCsv(String(req.body ?? ''), ENROLLMENT_CSV_COLUMNS, 'enrollment') } : req.body;
      const shape = enrollmentFileSchema.safeParse(body);
      if (!shape.success) {
        refuse(shape.error.issues.map((issue) => {
          const [section, index, ...field] = issue.path.map(String);
          return section === 'enrollments' && index !== undefined ? { row: Number(index) + 1, field: field.join('.'), message: issue.message } : { row: 0, field: issue.path.join('.') || '(file)', message: issue.message };
        }));
      }
      const file = shape.data;

      // In parts of what identity takes at once: a file may hold more rows than that.
      const items = await lookUpPersonsByCpr(deps.identity, 'enrollment import from municipal IT', file.enrollments.map((e) => e.childCpr));
      const units = new Map<string, Awaited<ReturnType<DirectoryView['unitByExternalId']>>>();
      for (const id of new Set(file.enrollments.flatMap((e) => [e.institutionExternalId, ...(e.groupExternalId ? [e.groupExternalId] : [])]))) units.set(id, await deps.directory.unitByExternalId(municipalityId, id));
      const children = new Set(items.filter((p): p is NonNullable<typeof p> => p !== null).map((p) => p.personId));
      const existing = new Map<string, ChildEnrollment | null>();
      for (const childId of children) existing.set(childId, await deps.enrollments.get(childId));

      const { rows, problems } = checkEnrollmentFile(
        file,
        {
          child: (row) => {
            const person = items[row - 1];
            if (!person || person.municipalityId !== municipalityId) return 'no child with this CPR number in the municipality’s directory';
            return person.kind === 'child' ? { childId: person.personId } : `the person is registered as ${person.kind}, not as a child`;
          },
          institution: (externalId) => {
            const unit = units.get(externalId);
            if (!unit) return `no unit ${externalId} in the municipality`;
            return unit.kind === 'institution' ? { id: unit._id, type: unit.institutionType as InstitutionType } : `unit ${externalId} is a ${unit.kind}, not an institution`;
          },
          group: (externalId, institutionId) => {
            const unit = units.get(externalId);
            return unit && unit.kind === 'group' && unit.parentId === institutionId ? { id: unit._id } : `unit ${externalId} is not a group of that institution`;
          },
        },
        existing,
        municipalityId,
      );
      if (problems.length > 0) refuse(problems);

      // From the rows as resolved (children by id), not the file: a hash of a file of CPR numbers
      // could be reversed by trying the numbers of a birth date, and the id goes into logs and URLs.
      const jobId = createHash('sha256').update(`${municipalityId}\n${JSON.stringify(rows)}`).digest('hex').slice(0, 32);
      // The entry before the job, as for every write: an attempt the sweep finishes later is on the record too.
      await deps.audit.record(principal, { action: 'import', recordType: 'enrollment-import', recordId: jobId, purpose: `${rows.length} rows` });
      const job = { _id: jobId, municipalityId, actor: principal.subject, payload: { rows, roles: principal.roles } };
      const run = await deps.jobs.applyNow(job, () => applyJob(deps, job), req.log);
      if (run.status === 'busy') throw conflict('IMPORT_IN_PROGRESS', `this file is being imported already (job ${jobId})`, (run.until.getTime() - Date.now()) / 1000);
      res.status(run.repeated ? 200 : 201).json({ jobId, status: 'done', ...(run.repeated ? { repeated: true } : {}), counts: run.counts });
    },
  );
}

/** A job's rows applied, each placement on the record as the importer's. */
function applyJob(deps: Pick<ImportDeps, 'enrollments' | 'audit'>, job: { _id: string; municipalityId: string; actor: string; payload?: ImportPayload }) {
  const payload = job.payload ?? [];
  // A job stored before the roles were kept names its importer without them.
  const { rows, roles } = Array.isArray(payload) ? { rows: payload, roles: [] } : payload;
  const principal = importerPrincipal(job, roles);
  return applyRows(deps.enrollments, rows, job.municipalityId, (childId, placement) =>
    recordPlacement(deps.audit, principal, 'import', childId, placement, `import job ${job._id}`),
  );
}

/** Finishes the imports whose attempt ended without an end: a stopped process, a failed request. */
export function resumeImports(deps: Pick<ImportDeps, 'jobs' | 'enrollments' | 'audit'>, logger: Logger): Promise<number> {
  return deps.jobs.resume((job) => applyJob(deps, job), logger);
}
