// CPR numbers: the national person number, DDMMYY-SSSS. Validated by its date of birth and
// the century rule of the 7th digit. There is no modulus-11 check: Denmark stopped issuing
// numbers that satisfy it in 2007, so it would refuse real people.

export type Cpr = string & { readonly __brand: 'Cpr' };

export interface CprProblem {
  code: 'CPR_FORMAT' | 'CPR_DATE' | 'CPR_FUTURE';
  message: string;
}

/** The century of a birth year, from the 7th digit (first of the serial) and the two-digit year. */
export function centuryOf(seventhDigit: number, yy: number): number {
  if (seventhDigit <= 3) return 1900;
  if (seventhDigit === 4 || seventhDigit === 9) return yy <= 36 ? 2000 : 1900;
  return yy <= 57 ? 2000 : 1800; // 5, 6, 7, 8
}

export function birthDateOf(cpr: Cpr): { year: number; month: number; day: number } {
  const day = Number(cpr.slice(0, 2));
  const month = Number(cpr.slice(2, 4));
  const yy = Number(cpr.slice(4, 6));
  return { year: centuryOf(Number(cpr[6]), yy) + yy, month, day };
}

/** Normalises `DDMMYY-SSSS` or `DDMMYYSSSS` (spaces allowed) to ten digits, or says what is wrong. */
export function parseCpr(input: string, today: Date = new Date()): { ok: true; cpr: Cpr } | { ok: false; problem: CprProblem } {
  const digits = input.replace(/[\s-]/g, '');
  if (!/^\d{10}$/.test(digits) || !/^\d{6}-?\d{4}$/.test(input.replace(/\s/g, ''))) {
    return { ok: false, problem: { code: 'CPR_FORMAT', message: 'must be 10 digits, DDMMYYSSSS or DDMMYY-SSSS' } };
  }
  const cpr = digits as Cpr;
  const { year, month, day } = birthDateOf(cpr);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { ok: false, problem: { code: 'CPR_DATE', message: 'does not start with a real date of birth (DDMMYY)' } };
  }
  if (date.getTime() > Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())) {
    return { ok: false, problem: { code: 'CPR_FUTURE', message: 'has a date of birth in the future' } };
  }
  return { ok: true, cpr };
}

/** Birth year and month: the most that may leave identity (events carry no CPR, no full date). */
export function birthYearMonth(cpr: Cpr): { birthYear: number; birthMonth: number } {
  const { year, month } = birthDateOf(cpr);
  return { birthYear: year, birthMonth: month };
}
