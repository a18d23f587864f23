// Dates as the directory keeps them: ISO calendar dates (YYYY-MM-DD), in UTC.
export function todayIso(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}
