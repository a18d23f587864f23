import { describe, expect, test } from '@jest/globals';
import { birthDateOf, birthYearMonth, centuryOf, parseCpr, type Cpr } from '../src/domain/cpr.js';

const today = new Date('2026-11-23T12:00:00Z');

describe('parseCpr', () => {
  test.each([
    ['010190-1234', '0101901234'],
    ['0101901234', '0101901234'],
    [' 010190 1234 ', '0101901234'],
  ])('accepts %p as %s', (input, cpr) => {
    expect(parseCpr(input, today)).toEqual({ ok: true, cpr });
  });

  test.each([
    ['01019012345', 'CPR_FORMAT'],
    ['010190-123', 'CPR_FORMAT'],
    ['0101-901234', 'CPR_FORMAT'],
    ['01019O1234', 'CPR_FORMAT'],
    ['3202901234', 'CPR_DATE'],
    ['0013901234', 'CPR_DATE'],
    ['2902011234', 'CPR_DATE'], // 2001 (7th digit 1 → 1900s): 29 Feb 1901 does not exist
    ['0101264234', 'CPR_FUTURE'], // 7th digit 4, year 26: born 1 January 2026, checked on 31 December 2025
  ])('refuses %p with %s', (input, code) => {
    const result = parseCpr(input, code === 'CPR_FUTURE' ? new Date('2025-12-31T00:00:00Z') : today);
    expect(result).toEqual({ ok: false, problem: expect.objectContaining({ code }) });
  });

  test('a leap day exists in 2000 (century digit 4) but not in 1900 (digit 0)', () => {
    expect(parseCpr('2902004321', today).ok).toBe(true);
    expect(parseCpr('2902000321', today).ok).toBe(false);
  });

  test('there is no modulus-11 check: numbers issued after 2007 that fail it are valid', () => {
    // Weights 4 3 2 7 6 5 4 3 2 1 give 34 for this number, not a multiple of 11.
    const digits = '0101104002'.split('').map(Number);
    expect(digits.reduce((sum, d, i) => sum + d * [4, 3, 2, 7, 6, 5, 4, 3, 2, 1][i]!, 0) % 11).not.toBe(0);
    expect(parseCpr('0101104002', today)).toEqual({ ok: true, cpr: '0101104002' });
  });
});

describe('century rule of the 7th digit', () => {
  test.each([
    [0, 99, 1900], [3, 0, 1900],
    [4, 36, 2000], [4, 37, 1900],
    [5, 57, 2000], [5, 58, 1800], [8, 0, 2000], [8, 99, 1800],
    [9, 36, 2000], [9, 37, 1900],
  ])('digit %i with year %i gives %i', (digit, yy, century) => {
    expect(centuryOf(digit, yy)).toBe(century);
  });

  test('birth date and year-month', () => {
    expect(birthDateOf('1503214321' as Cpr)).toEqual({ year: 2021, month: 3, day: 15 });
    expect(birthYearMonth('1503581321' as Cpr)).toEqual({ birthYear: 1958, birthMonth: 3 });
  });
});
