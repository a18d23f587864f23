// After each test file: any contract violation an app recorded fails the file, listing them,
// also when the test that made the call did not look at the answer.
/* global afterAll */
afterAll(() => {
  const violations = globalThis[Symbol.for('spor.openapi.violations')] ?? [];
  if (violations.length === 0) return;
  const list = violations.splice(0).map((v) => `  ${v.service}: ${v.method} ${v.path} -> ${v.status}: ${v.problem}`);
  throw new Error(`OpenAPI contract violations:\n${list.join('\n')}`);
});
