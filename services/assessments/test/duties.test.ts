// Who is due: rounds and the language-assessment duties, boundaries included.
import { describe, expect, test } from '@jest/globals';
import { countsOnList, languageDuty, roundInstitution, roundStatus, roundsOverlap, schoolStart } from '../src/domain/duties.js';

describe('rounds', () => {
  const autumn = { instrumentId: 'trivselsvurdering', from: '2026-09-01', to: '2026-10-31', institutionTypes: ['boernehave'] };
  test('done only with an assessment completed inside the window', () => {
    expect(roundStatus(autumn, ['2026-09-01'])).toBe('done');
    expect(roundStatus(autumn, ['2026-10-31'])).toBe('done');
    expect(roundStatus(autumn, ['2026-08-31', '2026-11-01'])).toBe('not-done');
    expect(roundStatus(autumn, [])).toBe('not-done');
  });

  test('a child that moves during the window is counted at one institution only', () => {
    const moved = [
      { institutionId: 'A', from: '2025-01-01', to: '2026-09-14' },
      { institutionId: 'B', from: '2026-09-15', to: null },
    ];
    // While the round runs, where the child is today; once it is over, where it was on its last day.
    expect(roundInstitution(moved, autumn, '2026-09-10')).toBe('A');
    expect(roundInstitution(moved, autumn, '2026-09-20')).toBe('B');
    expect(roundInstitution(moved, autumn, '2027-01-10')).toBe('B');
    // A move planned for after the window does not count; one that left every institution stays where it was last.
    expect(roundInstitution([{ institutionId: 'A', from: '2025-01-01', to: '2026-11-30' }, { institutionId: 'B', from: '2026-12-01', to: null }], autumn, '2026-12-05')).toBe('A');
    expect(roundInstitution([{ institutionId: 'A', from: '2025-01-01', to: '2026-09-30' }], autumn, '2026-12-05')).toBe('A');
    // Placed only before the window, or only after it: not counted.
    expect(roundInstitution([{ institutionId: 'A', from: '2025-01-01', to: '2026-08-31' }], autumn, '2026-10-01')).toBeNull();
    expect(roundInstitution([{ institutionId: 'A', from: '2026-11-01', to: null }], autumn, '2026-11-05')).toBeNull();
  });

  test('a child in school and SFO is on both lists: placements of another kind run beside, they are no move', () => {
    const both = [
      { institutionId: 'skolen', institutionType: 'skole', from: '2026-08-01', to: null },
      { institutionId: 'sfo', institutionType: 'sfo', from: '2026-08-10', to: null },
    ];
    expect(roundInstitution(both, autumn, '2026-10-01', 'skole')).toBe('skolen');
    expect(roundInstitution(both, autumn, '2026-10-01', 'sfo')).toBe('sfo');
    // Without a kind, the latest placement wins (one institution per child).
    expect(roundInstitution(both, autumn, '2026-10-01')).toBe('sfo');
  });

  test('a rating counts on the lists of its own kind: the school’s rating leaves the SFO’s round open; a rating at the børnehave the child moved from counts', () => {
    const both = [
      { institutionId: 'skolen', institutionType: 'skole', from: '2026-08-01', to: null },
      { institutionId: 'sfo', institutionType: 'sfo', from: '2026-08-10', to: null },
    ];
    expect(countsOnList(both, 'skolen', 'skole')).toBe(true);
    expect(countsOnList(both, 'skolen', 'sfo')).toBe(false);
    expect(countsOnList(both, 'sfo', 'sfo')).toBe(true);
    const moved = [
      { institutionId: 'A', institutionType: 'boernehave', from: '2025-01-01', to: '2026-09-14' },
      { institutionId: 'B', institutionType: 'boernehave', from: '2026-09-15', to: null },
    ];
    expect(countsOnList(moved, 'A', 'boernehave')).toBe(true);
    // A place the history no longer holds, or a list without a kind, counts as before.
    expect(countsOnList(moved, 'gone', 'boernehave')).toBe(true);
    expect(countsOnList(both, 'skolen', undefined)).toBe(true);
  });

  test('rounds of one instrument overlap when their windows and institution types meet', () => {
    expect(roundsOverlap(autumn, { ...autumn, from: '2026-10-31', to: '2026-12-31' })).toBe(true);
    expect(roundsOverlap(autumn, { ...autumn, from: '2026-11-01', to: '2026-12-31' })).toBe(false);
    expect(roundsOverlap(autumn, { ...autumn, institutionTypes: ['skole'] })).toBe(false);
    expect(roundsOverlap(autumn, { ...autumn, instrumentId: 'motorik' })).toBe(false);
    expect(roundsOverlap(autumn, { ...autumn, institutionTypes: ['skole', 'boernehave'] })).toBe(true);
  });
});

describe('language duties (daycare act § 11)', () => {
  // Born in March 2023: three in March 2026, school on 1 August 2029.
  const child = (inDaycare = true, presumedNeed = false, birthMonth = 3) => ({ birthYear: 2023, birthMonth, inDaycare, presumedNeed });

  test('school starts on 1 August of the year the child turns six', () => {
    expect(schoolStart(2020)).toBe('2026-08-01');
  });

  test('around three: every child not in daycare, and in daycare only where staff presume a need', () => {
    expect(languageDuty(child(false), '2026-01-15', [])).toEqual({ duty: 'three-year', status: 'due', schoolStart: '2029-08-01' }); // 34 months
    expect(languageDuty(child(false), '2025-12-31', [])).toBeNull(); // 33 months
    expect(languageDuty(child(false), '2026-07-31', [])).toMatchObject({ duty: 'three-year', status: 'due' }); // 40
    expect(languageDuty(child(false), '2026-08-01', [])).toMatchObject({ duty: 'three-year', status: 'overdue' }); // 41
    expect(languageDuty(child(true, false), '2026-03-10', [])).toBeNull();
    expect(languageDuty(child(true, true), '2026-03-10', [])).toMatchObject({ duty: 'three-year', status: 'due' });
    expect(languageDuty(child(false), '2026-05-10', [35])).toBeNull();
  });

  test('a child never assessed around three stays overdue until the duty before school start takes over', () => {
    expect(languageDuty(child(false), '2027-03-10', [])).toMatchObject({ duty: 'three-year', status: 'overdue' }); // 48 months
    expect(languageDuty(child(false), '2028-07-31', [])).toMatchObject({ duty: 'three-year', status: 'overdue' }); // 64 months
    expect(languageDuty(child(false), '2028-08-01', [])).toEqual({ duty: 'pre-school', status: 'due', schoolStart: '2029-08-01' });
  });

  test('an overdue child assessed at last, past 47 months, has met the three-year duty; one assessed before 30 months has not', () => {
    expect(languageDuty(child(false), '2027-09-10', [50])).toBeNull(); // 54 months, assessed at 50
    expect(languageDuty(child(true, true), '2027-03-10', [48])).toBeNull(); // 48 months, presumed need, assessed at 48
    expect(languageDuty(child(false), '2027-03-10', [29])).toMatchObject({ duty: 'three-year', status: 'overdue' });
  });

  test('before school start: every child never assessed, from a year before, overdue in the last three months', () => {
    expect(languageDuty(child(), '2028-07-31', [])).toBeNull();
    expect(languageDuty(child(), '2028-08-01', [])).toEqual({ duty: 'pre-school', status: 'due', schoolStart: '2029-08-01' });
    expect(languageDuty(child(), '2029-04-30', [])).toMatchObject({ duty: 'pre-school', status: 'due' });
    expect(languageDuty(child(), '2029-05-01', [])).toMatchObject({ duty: 'pre-school', status: 'overdue' });
    expect(languageDuty(child(), '2029-07-31', [])).toMatchObject({ duty: 'pre-school', status: 'overdue' });
    expect(languageDuty(child(), '2029-03-01', [37])).toBeNull();
    // From school start the school's own assessment takes over (a child still in daycare then: below).
    expect(languageDuty(child(false), '2029-08-01', [])).toBeNull();
  });

  test('school start follows the birth year, not the age: January and December children of one year start together', () => {
    const january = { ...child(), birthMonth: 1 };
    const december = { ...child(), birthMonth: 12 };
    // On 1 August 2029 the January child is 78 months and the December child 68; both start school.
    expect(languageDuty(january, '2029-07-31', [])).toMatchObject({ duty: 'pre-school', status: 'overdue' });
    expect(languageDuty(december, '2029-07-31', [])).toMatchObject({ duty: 'pre-school', status: 'overdue' });
    expect(languageDuty({ ...december, inDaycare: false }, '2029-08-01', [])).toBeNull();
    // A child born in December 2020 and in no daycare is in school in November 2026, on no list.
    expect(languageDuty({ ...december, birthYear: 2020, inDaycare: false }, '2026-11-15', [])).toBeNull();
  });

  test('a child still in daycare after its school start has had it deferred a year (§ 29a): the duty runs on to the deferred start', () => {
    const deferred = { ...child(), birthYear: 2020, birthMonth: 12 };
    expect(languageDuty(deferred, '2026-11-15', [])).toEqual({ duty: 'pre-school', status: 'due', schoolStart: '2027-08-01' });
    expect(languageDuty(deferred, '2027-05-01', [])).toMatchObject({ duty: 'pre-school', status: 'overdue' });
    expect(languageDuty(deferred, '2026-11-15', [62])).toBeNull();
  });
});
