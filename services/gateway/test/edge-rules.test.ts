// The pure rules of the edge: token buckets and which paths are public or internal.
import { describe, expect, test } from '@jest/globals';
import { exemptFromOwnContract, outsideOwnContract } from '../src/contract.js';
import { RateLimiter } from '../src/rate-limit.js';
import { isInternalPath, isLongRunning, isPublicRoute, normalisePath } from '../src/routes-policy.js';

describe('RateLimiter', () => {
  test('allows a burst of the limit, then refills one request per 60/limit seconds', () => {
    let now = 0;
    const limiter = new RateLimiter(6, () => now);
    for (let i = 0; i < 6; i++) expect(limiter.take('u').allowed).toBe(true);
    expect(limiter.take('u')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    now += 9_000;
    expect(limiter.take('u')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(limiter.take('u').allowed).toBe(true);
    expect(limiter.take('other').allowed).toBe(true);
  });

  test('sweeps only buckets that have refilled completely', () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now);
    limiter.take('a');
    for (let i = 0; i < 60; i++) limiter.take('b');
    now += 1_000;
    expect(limiter.sweep()).toBe(1);
    expect(limiter.size).toBe(1);
    now += 60_000;
    expect(limiter.sweep()).toBe(1);
    expect(limiter.size).toBe(0);
  });
});

describe('routes policy', () => {
  test('dot segments, encoded or not, are resolved before any rule is applied', () => {
    expect(normalisePath('/auth/../internal/x')).toBe('/internal/x');
    expect(normalisePath('/auth/%2e%2e/internal/x')).toBe('/internal/x');
    expect(normalisePath('')).toBe('/');
  });

  test('internal and operational paths are recognised in any case', () => {
    for (const path of ['/internal', '/internal/person-lookups', '/INTERNAL/x', '/metrics', '/healthz', '/readyz']) expect(isInternalPath(path)).toBe(true);
    for (const path of ['/internals', '/admin/internal', '/children/metrics']) expect(isInternalPath(path)).toBe(false);
  });

  test('only the listed login routes of identity are public, for their methods only', () => {
    expect(isPublicRoute('identity', 'GET', '/auth/citizen/login')).toBe(true);
    expect(isPublicRoute('identity', 'GET', '/auth/staff/callback')).toBe(true);
    expect(isPublicRoute('identity', 'POST', '/auth/token')).toBe(true);
    expect(isPublicRoute('identity', 'POST', '/oauth/token')).toBe(true);
    expect(isPublicRoute('identity', 'GET', '/auth/token')).toBe(false);
    expect(isPublicRoute('identity', 'GET', '/auth/other/login')).toBe(false);
    expect(isPublicRoute('identity', 'GET', '/admin/persons')).toBe(false);
    expect(isPublicRoute('consent', 'GET', '/auth/citizen/login')).toBe(false);
  });

  test('bulk imports get the long time-out; nothing else does', () => {
    expect(isLongRunning('identity', 'POST', '/admin/imports')).toBe(true);
    expect(isLongRunning('identity', 'POST', '/admin/imports/persons')).toBe(true);
    expect(isLongRunning('assessments', 'POST', '/imports/external-results')).toBe(true);
    expect(isLongRunning('transitions', 'POST', '/imports/enrollments')).toBe(true);
    expect(isLongRunning('identity', 'GET', '/admin/imports')).toBe(false);
    expect(isLongRunning('identity', 'POST', '/admin/persons')).toBe(false);
    expect(isLongRunning('consent', 'POST', '/admin/imports')).toBe(false);
  });
});

describe("the gateway's own contract", () => {
  test("checks the routes the gateway answers itself; leaves the proxied ones to each service's document and the browsable page to none", () => {
    for (const path of ['/api/consent/consent-purposes', '/api/Identity/auth/token', '/api/action-plans', '/api/reporting/', '/docs', '/docs/', '/docs/init.js', '/docs/assets/swagger-ui.css']) expect(outsideOwnContract(path)).toBe(true);
    for (const path of ['/api/children/3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f/insight', '/api/children/x/export', '/api/payroll/x', '/api', '/docs/openapi/gateway.json', '/docs/asyncapi.json', '/openapi.json', '/docsx', '/elsewhere']) expect(outsideOwnContract(path)).toBe(false);
  });

  test('a CORS preflight is exempt anywhere; a plain OPTIONS or GET of its own route is checked', () => {
    const req = (method: string, headers: Record<string, string>) => ({ method, headers, originalUrl: '/api/children/x/insight?y=1' }) as never;
    expect(exemptFromOwnContract(req('OPTIONS', { origin: 'https://web.example', 'access-control-request-method': 'GET' }))).toBe(true);
    expect(exemptFromOwnContract(req('OPTIONS', {}))).toBe(false);
    expect(exemptFromOwnContract(req('GET', { origin: 'https://web.example' }))).toBe(false);
    expect(exemptFromOwnContract({ method: 'GET', headers: {}, originalUrl: '/api/consent/consents?child=1' } as never)).toBe(true);
  });
});
