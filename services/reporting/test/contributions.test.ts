// What one child adds to the cells: counted once where a district's sum would otherwise count
// the child twice, and a move counted in the group the child leaves.
import { describe, expect, test } from '@jest/globals';
import { contributionsOf } from '../src/domain/contributions.js';
import { emptySubject, type Placement, type Subject } from '../src/domain/subject.js';

const placement = (institutionId: string, institutionType: string, from: string, to: string | null, groupId: string | null = null): Placement => ({ v: 1, institutionId, institutionType, groupId, from, to });
const child = (placements: Placement[], more: Partial<Subject> = {}): Subject => ({
  ...emptySubject('c1', '510'),
  birth: { year: 2020, month: 1 },
  placements: Object.fromEntries(placements.map((p, i) => [`p${i}`, p])),
  ...more,
});
/** The months in which `institutionId` (any group) counts the child as due for the instrument. */
const coverageMonths = (s: Subject, institutionId: string, instrumentId: string) =>
  [...contributionsOf(s)]
    .filter(([cell, keys]) => cell.startsWith(`${institutionId}|-|`) && [...keys.keys()].some((k) => k.startsWith(`coverage:${instrumentId}:`)))
    .map(([cell]) => cell.split('|')[2])
    .sort();

describe('coverage counts a child once a month', () => {
  test('a pupil in school and its SFO is due at the school only', () => {
    const s = child([placement('school', 'skole', '2026-08-01', null), placement('sfo', 'sfo', '2026-08-01', null)]);
    expect(coverageMonths(s, 'school', 'trivselsvurdering')).toContain('2026-09');
    expect(coverageMonths(s, 'sfo', 'trivselsvurdering')).toEqual([]);
  });

  test('a move in the middle of a month counts the month at the institution the child moved to', () => {
    const s = child([placement('a', 'boernehave', '2025-01-01', '2026-03-15'), placement('b', 'boernehave', '2026-03-16', '2026-07-31')]);
    const a = coverageMonths(s, 'a', 'alsidig-udvikling');
    const b = coverageMonths(s, 'b', 'alsidig-udvikling');
    expect(a.at(-1)).toBe('2026-02');
    expect(b[0]).toBe('2026-03');
    expect(a.filter((m) => b.includes(m))).toEqual([]);
  });
});

describe('language coverage before school start', () => {
  test('a child still in daycare (deferred school start) is due to 91 months; at school the school’s own assessment takes over after 84', () => {
    // Born January 2020: 84 months in January 2027, 91 in August 2027.
    const deferred = child([placement('a', 'boernehave', '2022-01-01', '2027-07-31')]);
    expect(coverageMonths(deferred, 'a', 'sprogvurdering').at(-1)).toBe('2027-07');
    const pupil = child([placement('school', 'skole', '2026-08-01', null)]);
    expect(coverageMonths(pupil, 'school', 'sprogvurdering').at(-1)).toBe('2027-01');
  });
});

describe('transitions', () => {
  test('a move is counted in the group the child leaves, whose placement the move ended the day before', () => {
    const s = child([placement('a', 'boernehave', '2025-01-01', '2026-07-31', 'g1'), placement('school', 'skole', '2026-08-01', null)], {
      transitions: { t1: { fromInstitutionId: 'a', date: '2026-08-01', seen: { planned: 1, released: 2 }, legalBasis: 'consent' } },
    });
    const cells = contributionsOf(s);
    expect(cells.get('a|g1|2026-08')?.get('transitions:planned')).toBe(1);
    expect(cells.get('a|g1|2026-08')?.get('handovers:withConsent')).toBe(1);
    expect(cells.get('a|-|2026-08')?.get('transitions:planned')).toBe(1);
  });
});
