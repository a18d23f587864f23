// The placement rules on their own.
import { describe, expect, test } from '@jest/globals';
import { categoryOf, dayBefore, end, enrol, enrollmentClockStart, move, placementsOn, type Placement } from '../src/domain/enrollment.js';

let n = 0;
const placement = (institutionType: Placement['institutionType'], from: string, to: string | null = null, institutionId = `inst-${institutionType}`): Placement => ({ placementId: `p${++n}`, institutionId, institutionType, groupId: null, from, to });

describe('enrollment rules', () => {
  test('two overlapping daycare placements are refused with 409 naming the one in the way', () => {
    const state = enrol(null, '510', placement('vuggestue', '2025-08-01'));
    expect(() => enrol(state, '510', placement('boernehave', '2026-01-01'))).toThrow(expect.objectContaining({ status: 409, code: 'ENROLLMENT_OVERLAP' }));
    // After the first has ended, the next may begin the day after.
    const ended = end(state, state.placements[0]!.placementId, '2025-12-31')!.state;
    expect(enrol(ended, '510', placement('boernehave', '2026-01-01')).placements).toHaveLength(2);
    expect(() => enrol(ended, '510', placement('dagpleje', '2025-12-31'))).toThrow(expect.objectContaining({ code: 'ENROLLMENT_OVERLAP' }));
  });

  test('an SFO placement runs beside a school placement, but not beside another SFO', () => {
    const school = enrol(null, '510', placement('skole', '2026-08-10'));
    const both = enrol(school, '510', placement('sfo', '2026-08-10'));
    expect(placementsOn(both, '2026-09-01').map((p) => categoryOf(p.institutionType)).sort()).toEqual(['school', 'sfo']);
    expect(() => enrol(both, '510', placement('sfo', '2027-01-01', null, 'other-sfo'))).toThrow(expect.objectContaining({ code: 'ENROLLMENT_OVERLAP' }));
  });

  test('a move ends the placement the day before and starts the next; only within its kind', () => {
    const state = enrol(null, '510', placement('vuggestue', '2025-08-01'));
    const { state: moved, previous } = move(state, state.placements[0]!.placementId, placement('boernehave', '2026-03-01'));
    expect(previous.to).toBe('2026-02-28');
    expect(placementsOn(moved, '2026-02-28').map((p) => p.institutionType)).toEqual(['vuggestue']);
    expect(placementsOn(moved, '2026-03-01').map((p) => p.institutionType)).toEqual(['boernehave']);
    expect(() => move(state, state.placements[0]!.placementId, placement('skole', '2026-08-01'))).toThrow(expect.objectContaining({ status: 422, code: 'ENROLLMENT_INVALID' }));
    expect(() => move(state, state.placements[0]!.placementId, placement('boernehave', '2025-08-01'))).toThrow(expect.objectContaining({ status: 422 }));
  });

  test('ending is idempotent, and cannot reopen or precede the placement', () => {
    const state = enrol(null, '510', placement('dagpleje', '2025-01-01'));
    const id = state.placements[0]!.placementId;
    const ended = end(state, id, '2025-06-30')!.state;
    expect(end(ended, id, '2025-06-30')).toBeNull();
    expect(() => end(ended, id, '2025-07-31')).toThrow(expect.objectContaining({ code: 'ENROLLMENT_INVALID' }));
    expect(() => end(state, id, '2024-12-31')).toThrow(expect.objectContaining({ code: 'ENROLLMENT_INVALID' }));
  });

  test('the day before crosses months and leap days', () => {
    expect([dayBefore('2028-03-01'), dayBefore('2026-01-01')]).toEqual(['2028-02-29', '2025-12-31']);
  });

  test('the retention clock starts the day after the last placement ended; an open placement keeps it in use', () => {
    expect(enrollmentClockStart({ placements: [] })).toBeNull();
    expect(enrollmentClockStart({ placements: [placement('boernehave', '2024-08-01', '2026-07-31'), placement('skole', '2026-08-10')] })).toBeNull();
    expect(enrollmentClockStart({ placements: [placement('skole', '2026-08-10', '2035-06-20'), placement('boernehave', '2024-08-01', '2026-07-31')] })).toEqual(new Date('2035-06-21T00:00:00Z'));
  });
});
