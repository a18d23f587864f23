// Results of external standardised tests (a dyslexia test, the national reading and maths
// tests): source, date, score and interpretation, beside Spor's own assessments. One result is
// one child's test of one kind on one day: its id is derived from exactly that, so the same
// result entered twice, or imported again, lands on the same record instead of a copy.
// Files from municipal IT are checked whole before anything is written; every bad row and
// field is named.
import { createHash } from 'node:crypto';
import { containsCpr, z } from '@spor/service-kit';

export const INTERPRETATIONS = ['well-below-expected', 'below-expected', 'as-expected', 'above-expected'] as const;
export type Interpretation = (typeof INTERPRETATIONS)[number];

/** What a test says about a child; the same fields whether entered by hand or imported. */
export interface ResultValues {
  source: string;
  testName: string;
  testedOn: string;
  score: number;
  maxScore: number | null;
  interpretation: Interpretation;
}

export interface ExternalResult extends ResultValues {
  _id: string;
  municipalityId: string;
  childId: string;
  /** Where the child was placed when tested (null when Spor knows no placement then). */
  institutionId: string | null;
  recordedBy: string;
  recordedAt: Date;
  /** The import job that last wrote it, if any. */
  importJobId?: string;
  /** Earlier values a later import replaced: a correction keeps what it corrected. */
  corrections?: (Pick<ResultValues, 'score' | 'maxScore' | 'interpretation'> & { replacedAt: Date; replacedBy: string; importJobId?: string })[];
}

// A code or a test's name never holds a CPR number: the source is published in events, and the
// name is shown to everyone who reads the child's results.
const noCpr = (s: string) => !containsCpr(s);
export const resultFields = {
  source: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,60}$/, { error: 'a code such as ordblindetesten or nationale-test-laesning' })
    .refine(noCpr, { error: 'must not hold a CPR number' }),
  testName: z.string().trim().min(2).max(200).refine(noCpr, { error: 'must not hold a CPR number' }),
  testedOn: z.iso.date(),
  score: z.number().finite().min(0),
  maxScore: z.number().finite().positive().optional(),
  interpretation: z.enum(INTERPRETATIONS),
};

/** The same result (child, source, test, day) always has this id, in UUID form. */
export function resultId(municipalityId: string, childId: string, r: Pick<ResultValues, 'source' | 'testName' | 'testedOn'>): string {
  const hex = createHash('sha256').update([municipalityId, childId, r.source, r.testName.trim().toLowerCase(), r.testedOn].join('\n')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface ResultProblem {
  field: keyof ResultValues;
  message: string;
}

/**
 * How long the municipality keeps a result, from the day of the test: a result from before
 * `since` would be deleted at its first retention sweep, its event published for nothing.
 */
export interface KeptFor {
  days: number;
  since: string;
}

/** The first day of a test whose result is still kept today (retention counts whole days from the day of the test). */
export function keptFor(today: string, days: number): KeptFor {
  const since = new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { days, since };
}

/** What is wrong with a result beyond its shape. */
export function resultProblems(r: { score: number; maxScore?: number | null; testedOn: string }, today: string, kept?: KeptFor): ResultProblem[] {
  const problems: ResultProblem[] = [];
  if (r.maxScore !== undefined && r.maxScore !== null && r.score > r.maxScore) problems.push({ field: 'score', message: `${r.score} is above the test's maximum ${r.maxScore}` });
  if (r.testedOn > today) problems.push({ field: 'testedOn', message: 'lies in the future' });
  if (kept && r.testedOn < kept.since) problems.push({ field: 'testedOn', message: `is before ${kept.since}: results are kept ${kept.days} days from the day of the test, so it would be deleted at once` });
  return problems;
}

export const sameValues = (a: ResultValues, b: ResultValues): boolean => a.score === b.score && a.maxScore === b.maxScore && a.interpretation === b.interpretation;

// ---- Imports -------------------------------------------------------------------------------

/** A row names the child by CPR number (mapped by identity) or by its pseudonymous id. */
export const importRowSchema = z
  .strictObject({ childCpr: z.string().max(20).optional(), childId: z.uuid().optional(), ...resultFields })
  .refine((r) => (r.childCpr === undefined) !== (r.childId === undefined), { error: 'name the child by either childCpr or childId', path: ['childCpr'] });
export type ImportRow = z.infer<typeof importRowSchema>;

/** Rows per file: identity maps at most this many CPR numbers per call. */
export const MAX_IMPORT_ROWS = 5_000;
export const importFileSchema = z.strictObject({ results: z.array(z.unknown()).min(1).max(MAX_IMPORT_ROWS) });
export const RESULT_CSV_COLUMNS = ['childCpr', 'childId', 'source', 'testName', 'testedOn', 'score', 'maxScore', 'interpretation'] as const;

/** A CSV cell as the row schema wants it: numbers as numbers (a decimal comma is read as a point). */
export function csvRow(cells: Record<string, string>): Record<string, unknown> {
  const row: Record<string, unknown> = { ...cells };
  for (const field of ['score', 'maxScore'] as const) {
    const cell = cells[field];
    if (cell !== undefined && /^-?\d+([.,]\d+)?$/.test(cell)) row[field] = Number(cell.replace(',', '.'));
  }
  return row;
}

export interface ImportProblem {
  /** 1-based, the first data row of the file is 1. */
  row: number;
  field: string;
  message: string;
}

/** A checked row with the child as a pseudonymous id: what an import job keeps (no CPR number). */
export interface ResolvedRow extends ResultValues {
  row: number;
  childId: string;
  institutionId: string | null;
}

export interface RowResolver {
  /** The child of a row (by CPR or id), or why there is none in this municipality. */
  child(row: number, r: ImportRow): string | { childId: string };
  /** Where the child was placed on the day of the test. */
  institutionOn(childId: string, day: string): string | null;
}

export interface ParsedRow {
  row: number;
  r: ImportRow;
}

/** Each row's shape; rows that fit go on to `checkImportRows`, the others are problems. `unreadable`: rows already refused (a line that is no JSON). */
export function parseImportRows(raw: unknown[], unreadable: ReadonlySet<number> = new Set()): { parsed: ParsedRow[]; problems: ImportProblem[] } {
  const parsed: ParsedRow[] = [];
  const problems: ImportProblem[] = [];
  raw.forEach((candidate, i) => {
    if (unreadable.has(i + 1)) return;
    const shape = importRowSchema.safeParse(candidate);
    if (shape.success) parsed.push({ row: i + 1, r: shape.data });
    else for (const issue of shape.error.issues) problems.push({ row: i + 1, field: issue.path.map(String).join('.') || '(row)', message: issue.message });
  });
  return { parsed, problems };
}

/** Checks the rows that have the right shape (child, values, repeats inside the file); answers the rows to apply and the problems. */
export function checkImportRows(parsed: ParsedRow[], resolve: RowResolver, municipalityId: string, today: string, kept?: KeptFor): { rows: ResolvedRow[]; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const rows: ResolvedRow[] = [];
  const seen = new Map<string, number>();
  for (const { row, r } of parsed) {
    const child = resolve.child(row, r);
    const valueProblems = resultProblems(r, today, kept);
    if (typeof child === 'string') problems.push({ row, field: r.childCpr !== undefined ? 'childCpr' : 'childId', message: child });
    problems.push(...valueProblems.map((p) => ({ row, ...p })));
    if (typeof child === 'string' || valueProblems.length > 0) continue;
    const key = resultId(municipalityId, child.childId, r);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push({ row, field: 'testedOn', message: `the same child, test and day as row ${earlier}` });
      continue;
    }
    seen.set(key, row);
    rows.push({ row, childId: child.childId, institutionId: resolve.institutionOn(child.childId, r.testedOn), source: r.source, testName: r.testName, testedOn: r.testedOn, score: r.score, maxScore: r.maxScore ?? null, interpretation: r.interpretation });
  }
  return { rows, problems };
}

/**
 * The job id of a checked file: a hash of the municipality and the rows as applied, with the
 * children as pseudonymous ids. The same file sent again has the same id; the id is never
 * derived from CPR numbers.
 */
export function importJobId(municipalityId: string, rows: ResolvedRow[]): string {
  const canonical = rows.map((r) => [r.childId, r.source, r.testName, r.testedOn, r.score, r.maxScore, r.interpretation]);
  return createHash('sha256').update(`${municipalityId}\n${JSON.stringify(canonical)}`).digest('hex').slice(0, 32);
}

/**
 * The institution a result belongs to: where the child was placed on the test day; for a test
 * from before any placement Spor knows, the first institution the child came to after it. It
 * stays there when the child moves on (the next institution gets it through a handover only).
 * `history` is the child's placements in the municipality, oldest first.
 */
export function resultOwner(result: Pick<ExternalResult, 'institutionId' | 'testedOn'>, history: Placed[]): string | null {
  return result.institutionId ?? mainOf(history.filter((p) => p.from > result.testedOn))?.institutionId ?? null;
}

type Placed = { institutionId: string; institutionType?: string; from: string; to?: string | null };

/** SFO is the school's leisure-time part: a test belongs to the school beside it, not there. */
const LEISURE_TYPES = ['sfo'];

/** The first placement that is no leisure-time one, else the first. `placements` oldest first. */
function mainOf<P extends Placed>(placements: P[]): P | undefined {
  return placements.find((p) => !LEISURE_TYPES.includes(p.institutionType ?? '')) ?? placements[0];
}

/**
 * The institution where the child was when tested: the placement covering the test day, the
 * school rather than the SFO beside it (a child in both is tested at school, whichever came
 * first). `history` is the child's placements in the municipality, oldest first.
 */
export function testDayInstitution(history: Placed[], testedOn: string): string | null {
  return mainOf(history.filter((p) => p.from <= testedOn && (p.to === null || p.to === undefined || p.to >= testedOn)))?.institutionId ?? null;
}
