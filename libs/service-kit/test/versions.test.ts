// Optimistic concurrency over HTTP: If-Match against the version read, and against a write that
// lost a race after that check.
import { describe, expect, test } from '@jest/globals';
import type { Request } from 'express';
import { conflict, versionToChange, writeAtVersion, type AppError } from '../src/index.js';

const req = (ifMatch?: string) => ({ headers: ifMatch === undefined ? {} : { 'if-match': ifMatch } }) as unknown as Request;
const code = async (work: () => unknown) => {
  try {
    await work();
  } catch (error) {
    return [(error as AppError).status, (error as AppError).code];
  }
  return 'no error';
};

describe('If-Match', () => {
  test('names the version a change applies to: the current one, any, or a stale one refused with 412; a malformed tag is 400', async () => {
    expect(versionToChange(req(), 3)).toBe(3);
    expect(versionToChange(req('*'), 3)).toBe(3);
    expect(versionToChange(req('"2", W/"3"'), 3)).toBe(3);
    expect(await code(() => versionToChange(req('"2"'), 3))).toEqual([412, 'VERSION_MISMATCH']);
    expect(await code(() => versionToChange(req('3'), 3))).toEqual([400, 'VALIDATION_FAILED']);
  });

  test('a write that lost a race after the check is 412 to a client that sent If-Match, and the store’s 409 to one that did not; other errors pass', async () => {
    const lost = () => Promise.reject(conflict('VERSION_CONFLICT', 'changed by someone else'));
    expect(await code(() => writeAtVersion(req('"3"'), lost))).toEqual([412, 'VERSION_MISMATCH']);
    expect(await code(() => writeAtVersion(req(), lost))).toEqual([409, 'VERSION_CONFLICT']);
    expect(await code(() => writeAtVersion(req('"3"'), () => Promise.reject(conflict('ASSESSMENT_COMPLETED', 'locked'))))).toEqual([409, 'ASSESSMENT_COMPLETED']);
    expect(await writeAtVersion(req('"3"'), async () => 'written')).toBe('written');
  });
});
