// External test results: the derived id, the checks of one result, and the row checks of an
// import file (shape, child, values, repeats), each problem naming its row and field.
import { describe, expect, test } from '@jest/globals';
import { checkImportRows, csvRow, importJobId, keptFor, parseImportRows, resultId, resultOwner, resultProblems, testDayInstitution, type RowResolver } from '../src/domain/external-result.js';

const CHILD = '3f0c9f7e-8a51-4c3e-9d0a-6f1b2c3d4e5f';
const OTHER = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const good = { childId: CHILD, source: 'nationale-test-laesning', testName: 'Nationale test, læsning 2. kl.', testedOn: '2026-03-10', score: 61, maxScore: 100, interpretation: 'as-expected' };
const resolver: RowResolver = {
  child: (_row, r) => (r.childId === CHILD || r.childCpr === '0101204321' ? { childId: CHILD } : r.childId === OTHER ? 'the person is registered as parent, not as a child' : 'no child with this CPR number in the municipality’s directory'),
  institutionOn: (_child, day) => (day >= '2025-08-01' ? 'inst-1' : null),
};
const check = (rows: unknown[], today = '2026-06-01') => {
  const { parsed, problems } = parseImportRows(rows);
  const checked = checkImportRows(parsed, resolver, '510', today);
  return { rows: checked.rows, problems: [...problems, ...checked.problems].sort((a, b) => a.row - b.row) };
};

describe('one result', () => {
  test('the same child, test and day give the same id, whatever the case or spacing of the test name', () => {
    const id = resultId('510', CHILD, good);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(resultId('510', CHILD, { ...good, testName: ' nationale TEST, læsning 2. kl. ' })).toBe(id);
    expect(resultId('510', CHILD, { ...good, testedOn: '2026-03-11' })).not.toBe(id);
    expect(resultId('461', CHILD, good)).not.toBe(id);
  });

  test('a score above the maximum and a day in the future are named', () => {
    expect(resultProblems({ score: 101, maxScore: 100, testedOn: '2026-06-02' }, '2026-06-01')).toEqual([
      { field: 'score', message: "101 is above the test's maximum 100" },
      { field: 'testedOn', message: 'lies in the future' },
    ]);
    expect(resultProblems({ score: 100, maxScore: 100, testedOn: '2026-06-01' }, '2026-06-01')).toEqual([]);
    expect(resultProblems({ score: 7, maxScore: null, testedOn: '2026-01-01' }, '2026-06-01')).toEqual([]);
  });

  test('a result from before the municipality keeps results is refused: it would be deleted at its first sweep', () => {
    // Kept 10 days from the day of the test: tested on the 1st, deleted at the start of the 11th.
    const kept = keptFor('2026-06-10', 10);
    expect(kept).toEqual({ days: 10, since: '2026-06-01' });
    expect(resultProblems({ score: 1, testedOn: '2026-06-01' }, '2026-06-10', kept)).toEqual([]);
    expect(resultProblems({ score: 1, testedOn: '2026-05-31' }, '2026-06-10', kept)).toEqual([{ field: 'testedOn', message: 'is before 2026-06-01: results are kept 10 days from the day of the test, so it would be deleted at once' }]);
    // Three years across a leap day.
    expect(keptFor('2028-03-01', 3 * 365).since).toBe('2025-03-03');
  });
});

describe('import rows', () => {
  test('good rows are resolved to the child’s id and the institution it was in on the day', () => {
    const { rows, problems } = check([good, { ...good, childId: undefined, childCpr: '0101204321', testedOn: '2025-05-01', maxScore: undefined }]);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      { row: 1, childId: CHILD, institutionId: 'inst-1', source: good.source, testName: good.testName, testedOn: '2026-03-10', score: 61, maxScore: 100, interpretation: 'as-expected' },
      expect.objectContaining({ row: 2, childId: CHILD, institutionId: null, maxScore: null }),
    ]);
  });

  test('every bad row and field is named, and a CPR number never appears in a message', () => {
    const cpr = '0202209999';
    const { rows, problems } = check([
      good,
      { ...good, childId: undefined, childCpr: cpr },
      { ...good, childId: OTHER },
      { ...good, score: 120 },
      { ...good, testedOn: '2026-13-01', interpretation: 'fine' },
      { ...good, childCpr: cpr },
      { ...good, name: 'Anna' },
      { ...good, testName: 'Nationale test, LÆSNING 2. kl.' },
      // A CPR number where a code or a test's name goes: the code is published, the name shown.
      { ...good, source: `x${cpr}`, testName: `Test ${cpr}` },
    ]);
    expect(problems.map((p) => `${p.row}.${p.field}`)).toEqual(['2.childCpr', '3.childId', '4.score', '5.testedOn', '5.interpretation', '6.childCpr', '7.(row)', '8.testedOn', '9.source', '9.testName']);
    expect(problems.find((p) => p.row === 8)!.message).toBe('the same child, test and day as row 1');
    expect(JSON.stringify(problems)).not.toContain(cpr);
    expect(rows.map((r) => r.row)).toEqual([1]);
  });

  test('CSV cells become numbers, with a decimal comma read as a point', () => {
    expect(csvRow({ score: '38,5', maxScore: '52', testName: 'X' })).toEqual({ score: 38.5, maxScore: 52, testName: 'X' });
    expect(csvRow({ score: 'high' })).toEqual({ score: 'high' });
  });

  test('the job id depends on the municipality and the rows as applied, not on how the child was named', () => {
    const viaId = check([good]).rows;
    const viaCpr = check([{ ...good, childId: undefined, childCpr: '0101204321' }]).rows;
    expect(importJobId('510', viaId)).toBe(importJobId('510', viaCpr));
    expect(importJobId('461', viaId)).not.toBe(importJobId('510', viaId));
    expect(importJobId('510', check([{ ...good, score: 62 }]).rows)).not.toBe(importJobId('510', viaId));
  });
});

describe('whose a result is', () => {
  const history = [
    { institutionId: 'A', from: '2024-01-01' },
    { institutionId: 'B', from: '2026-08-01' },
  ];
  test('the institution on the test day, where Spor knows one', () => {
    expect(resultOwner({ institutionId: 'A', testedOn: '2025-03-01' }, history)).toBe('A');
  });
  test('a test from before any known placement belongs to the first institution after it, not to the next one the child moves to', () => {
    expect(resultOwner({ institutionId: null, testedOn: '2023-06-01' }, history)).toBe('A');
    expect(resultOwner({ institutionId: null, testedOn: '2026-07-01' }, history)).toBe('B');
    expect(resultOwner({ institutionId: null, testedOn: '2026-09-01' }, history)).toBeNull();
    expect(resultOwner({ institutionId: null, testedOn: '2023-06-01' }, [])).toBeNull();
  });
});

describe('a child in school and SFO', () => {
  // Pre-school SFO from April, school from August; SFO goes on beside the school.
  const history = [
    { institutionId: 'sfo', institutionType: 'sfo', from: '2025-04-01', to: null },
    { institutionId: 'school', institutionType: 'skole', from: '2025-08-11', to: null },
  ];
  test('is tested at the school, whichever placement came first; in the SFO while it is the only one', () => {
    expect(testDayInstitution(history, '2026-03-01')).toBe('school');
    expect(testDayInstitution(history, '2025-05-01')).toBe('sfo');
    expect(testDayInstitution(history, '2025-03-01')).toBeNull();
    expect(testDayInstitution([{ institutionId: 'old', from: '2024-01-01', to: '2025-03-31' }, ...history], '2025-03-31')).toBe('old');
  });
  test('a test from before either belongs to the school', () => {
    expect(resultOwner({ institutionId: null, testedOn: '2025-03-01' }, history)).toBe('school');
    expect(resultOwner({ institutionId: null, testedOn: '2025-03-01' }, history.slice(0, 1))).toBe('sfo');
  });
});

