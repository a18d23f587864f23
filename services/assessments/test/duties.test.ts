// Who is due: rounds and the language-assessment duties, boundaries included.
import { describe, expect, test } from '@jest/globals';
import { languageDuty, roundStatus } from '../src/domain/duties.js';

describe('rounds', () => {
  const autumn = { instrumentId: 'trivselsvurdering', from: '2026-09-01', to: '2026-10-31', institutionTypes: ['boernehave'] };
  test('done only with an assessment completed inside the window', () => {
    expect(roundStatus(autumn, ['2026-09-01'])).toBe('done');
    expect(roundStatus(autumn, ['2026-10-31'])).toBe('done');
    expect(roundStatus(autumn, ['2026-08-31', '2026-11-01'])).toBe('not-done');
    expect(roundStatus(autumn, [])).toBe('not-done');
  });
});

describe('language duties (daycare act § 11)', () => {
  const child = (ageMonths: number, inDaycare = true, presumedNeed = false) => ({ ageMonths, inDaycare, presumedNeed });

  test('around three: every child not in daycare, and in daycare only where staff presume a need', () => {
    expect(languageDuty(child(34, false), [])).toEqual({ duty: 'three-year', status: 'due' });
    expect(languageDuty(child(33, false), [])).toBeNull();
    expect(languageDuty(child(40, false), [])).toEqual({ duty: 'three-year', status: 'due' });
    expect(languageDuty(child(41, false), [])).toEqual({ duty: 'three-year', status: 'overdue' });
    expect(languageDuty(child(36, true, false), [])).toBeNull();
    expect(languageDuty(child(36, true, true), [])).toEqual({ duty: 'three-year', status: 'due' });
    expect(languageDuty(child(38, false), [35])).toBeNull();
  });

  test('before school start: every child never assessed, overdue from 72 months', () => {
    expect(languageDuty(child(59), [])).toBeNull();
    expect(languageDuty(child(60), [])).toEqual({ duty: 'pre-school', status: 'due' });
    expect(languageDuty(child(71), [])).toEqual({ duty: 'pre-school', status: 'due' });
    expect(languageDuty(child(72), [])).toEqual({ duty: 'pre-school', status: 'overdue' });
    expect(languageDuty(child(66), [37])).toBeNull();
    expect(languageDuty(child(85), [])).toBeNull();
  });
});
