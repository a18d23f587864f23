// POST /imports/external-results: a file of external test results from municipal IT (the
// national tests, a dyslexia screening run across a year group), as JSON, JSON lines or CSV.
// Children are named by CPR number, which identity maps to pseudonymous ids over an audited
// service call (the numbers are then forgotten), or by their Spor id. The whole file is checked
// first: any bad row refuses it, naming every row and field. A good file becomes a job applied
// in the background; GET /imports/external-results/:jobId tells how far it is. The same file
// sent again is the same job and writes nothing twice.
import express, { type Request, type Router } from 'express';
import { AppError, NUL_MESSAGE, nulAt, readCsv, scrubCpr, type FieldError } from '@spor/service-kit';
import { importJobRoute, lookUpPersonsByCpr, principalOf, requireRole, type ServiceTokenClient, type StaffRole } from '@spor/auth';
import { danishDay, type DirectoryView, type KnownPlacement } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import { importJobView } from '@spor/mongo';
import {
  MAX_IMPORT_ROWS,
  RESULT_CSV_COLUMNS,
  checkImportRows,
  keptFor,
  csvRow,
  importFileSchema,
  importJobId,
  parseImportRows,
  type ImportProblem,
  type ParsedRow,
  testDayInstitution,
} from '../domain/external-result.js';
import type { ResultImportJobs } from '../store/external-results.js';
import type { ResultImporter } from '../result-importer.js';

export const IMPORT_ROLES: StaffRole[] = ['system-administrator', 'administration'];
const CSV_TYPES = ['text/csv', 'application/csv'];
const JSON_LINES_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines'];
export const IMPORT_BODY_TYPES = [...CSV_TYPES, ...JSON_LINES_TYPES];
/** Problems listed in one refusal; the detail says how many there were in all. */
const LISTED = 500;
/** Store reads in flight while a file is checked: enough to hide latency, few enough to leave the pool to requests. */
const READS_IN_FLIGHT = 16;

export interface ImportDeps {
  jobs: ResultImportJobs;
  importer: ResultImporter;
  directory: DirectoryView;
  audit: AuditLog;
  /** identity, for mapping CPR numbers; undefined when not configured (rows by childId still work). */
  identity: ServiceTokenClient | undefined;
  bodyLimit: string;
  clock: () => Date;
  /** How many days the municipality keeps a result from the day of the test (its retention period). */
  keptDays: (municipalityId: string) => Promise<number>;
}

function refuse(problems: ImportProblem[]): never {
  const sorted = [...problems].sort((a, b) => a.row - b.row);
  // A message never repeats a CPR number, even one sent where it does not belong (as a key, say).
  const errors: FieldError[] = sorted.slice(0, LISTED).map((p) => ({ in: 'body', field: scrubCpr(p.row ? `results[${p.row}].${p.field}` : p.field), message: scrubCpr(p.message) }));
  const rows = new Set(sorted.filter((p) => p.row).map((p) => p.row)).size;
  throw new AppError({ status: 422, code: 'IMPORT_INVALID', title: 'The import file has bad rows; nothing was imported', detail: `${problems.length} problem(s) in ${rows} row(s)${problems.length > LISTED ? `; the first ${LISTED} are listed` : ''}`, errors });
}

/** The rows of the file as sent: CSV, JSON lines (one result per line) or JSON {results: [...]}. */
function rowsOf(req: Request): { raw: unknown[]; problems: ImportProblem[] } {
  if (req.is(CSV_TYPES)) return { raw: readCsv(String(req.body ?? ''), RESULT_CSV_COLUMNS, 'external result').map(csvRow), problems: [] };
  if (req.is(JSON_LINES_TYPES)) {
    const problems: ImportProblem[] = [];
    const raw = String(req.body ?? '')
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          const row = JSON.parse(line) as unknown;
          const nul = nulAt(row);
          if (nul !== null) problems.push({ row: i + 1, field: nul || '(row)', message: NUL_MESSAGE });
          return row;
        } catch {
          // Not the parser's message: it quotes the line, which may hold a CPR number.
          problems.push({ row: i + 1, field: '(row)', message: 'is not a JSON object' });
          return null;
        }
      });
    return { raw, problems };
  }
  const file = importFileSchema.safeParse(req.body);
  if (!file.success) refuse(file.error.issues.map((issue) => ({ row: 0, field: issue.path.join('.') || '(file)', message: issue.message })));
  return { raw: file.data.results, problems: [] };
}

async function inChunks<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += READS_IN_FLIGHT) out.push(...(await Promise.all(items.slice(i, i + READS_IN_FLIGHT).map(work))));
  return out;
}

export function externalResultImportRoutes(router: Router, deps: ImportDeps): void {
  const { jobs, importer, directory, audit, clock } = deps;
  const jobView = (job: NonNullable<Awaited<ReturnType<ResultImportJobs['get']>>>) => ({
    ...importJobView(job),
    ...(job.payload ? { rows: job.payload.rows.length } : {}),
    ...(job.counts ? { rows: job.counts.created + job.counts.updated + job.counts.unchanged } : {}),
  });

  router.post('/imports/external-results', requireRole(...IMPORT_ROLES), express.text({ type: IMPORT_BODY_TYPES, limit: deps.bodyLimit }), async (req, res) => {
    const principal = principalOf(req);
    const municipalityId = principal.municipalityId;
    const today = danishDay(clock());
    const { raw, problems: unreadable } = rowsOf(req);
    if (raw.length > MAX_IMPORT_ROWS) refuse([{ row: 0, field: '(file)', message: `has ${raw.length} rows; at most ${MAX_IMPORT_ROWS} per file` }]);
    if (raw.length === 0) refuse([{ row: 0, field: '(file)', message: 'has no rows' }]);
    const { parsed, problems: shapeProblems } = parseImportRows(raw, new Set(unreadable.map((p) => p.row)));

    // Children by CPR number: identity maps them (and audits the lookup); nothing here keeps them.
    const byCpr = parsed.filter((p) => p.r.childCpr !== undefined);
    const found = new Map<number, { personId: string; kind: string; municipalityId: string } | null>();
    if (byCpr.length > 0) {
      if (!deps.identity) throw new AppError({ status: 503, code: 'IMPORT_NOT_CONFIGURED', title: 'CPR numbers cannot be mapped', detail: 'set IDENTITY_URL and ASSESSMENTS_CLIENT_SECRET: rows naming children by CPR number are mapped through identity (rows by childId need neither)' });
      const items = await lookUpPersonsByCpr(deps.identity, 'external test results import from municipal IT', byCpr.map((p) => p.r.childCpr!));
      byCpr.forEach((p, i) => found.set(p.row, items[i] ?? null));
    }
    // Children by id: this service's directory projection says whether they are children of the municipality.
    const ids = [...new Set(parsed.flatMap((p: ParsedRow) => (p.r.childId ? [p.r.childId] : [])))];
    const people = new Map((await inChunks(ids, async (id) => [id, await directory.person(id)] as const)).map(([id, person]) => [id, person]));
    const resolved = (p: ParsedRow): string | { childId: string } => {
      const person = p.r.childCpr !== undefined ? found.get(p.row) : people.get(p.r.childId!);
      const childId = person ? ('personId' in person ? person.personId : person._id) : undefined;
      if (!person || !childId || person.municipalityId !== municipalityId) return p.r.childCpr !== undefined ? 'no child with this CPR number in the municipality’s directory' : 'no child with this id in the municipality’s directory';
      return person.kind === 'child' ? { childId } : `the person is registered as ${person.kind}, not as a child`;
    };
    const children = [...new Set(parsed.map(resolved).flatMap((c) => (typeof c === 'string' ? [] : [c.childId])))];
    const placements = new Map(await inChunks(children, async (id) => [id, await directory.placementHistory(id)] as const));
    const institutionOn = (childId: string, day: string) => testDayInstitution((placements.get(childId) ?? []).filter((pl: KnownPlacement) => pl.municipalityId === municipalityId), day);

    const { rows, problems } = checkImportRows(parsed, { child: (_row, r) => resolved({ row: _row, r }), institutionOn }, municipalityId, today, keptFor(today, await deps.keptDays(municipalityId)));
    const all = [...unreadable, ...shapeProblems, ...problems];
    if (all.length > 0) refuse(all);

    const jobId = importJobId(municipalityId, rows);
    const before = await jobs.get(jobId);
    // The same file again: answered from its job, unless that job failed, when it starts anew.
    if (before && before.status !== 'failed') {
      res.status(before.status === 'done' ? 200 : 202).location(`/imports/external-results/${jobId}`).json({ ...jobView(before), repeated: true });
      return;
    }
    const job = { _id: jobId, municipalityId, actor: principal.subject, payload: { rows, roles: principal.roles } };
    // The entry before the job is stored, as for every write: the sweep would apply a stored job whose entry failed.
    await audit.record(principal, { action: 'import', recordType: 'external-result-import', recordId: jobId, purpose: `${rows.length} rows` });
    const started = await jobs.start(job);
    if (started.outcome !== 'exists') void importer.start(started.job);
    res.status(202).location(`/imports/external-results/${jobId}`).json({ jobId, status: 'applying', rows: rows.length, ...(started.outcome === 'started' ? {} : { repeated: true }) });
  });

  importJobRoute(router, '/imports/external-results', IMPORT_ROLES, (id) => jobs.get(id), jobView);
}
