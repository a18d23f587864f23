import { describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { containsCpr, createLogger, findCpr, runWithContext, scrubCpr } from '../src/index.js';

describe('CPR detection', () => {
  test.each(['0101901234', '010190-1234', 'barn 311299-4321 mangler'])('finds a CPR number in %p', (text) => {
    expect(containsCpr(text)).toBe(true);
    expect(scrubCpr(text)).toContain('[CPR]');
  });

  test.each(['3213901234', '0113901234', '12345', '550e8400-e29b-41d4-a716-446655440000', '17323700001234'])('does not flag %p', (text) => {
    expect(containsCpr(text)).toBe(false);
  });

  test('ten digits inside a UUID are an id, not a CPR number; a CPR number beside a UUID is still found', () => {
    // The assessments benchmark met this one: its last group holds 1203791234 between hex letters.
    const id = '5f0c2a9e-7d41-4b8a-9e3f-f1203791234a';
    expect(containsCpr(id)).toBe(false);
    expect(scrubCpr(`assessment ${id}`)).toBe(`assessment ${id}`);
    expect(findCpr({ assessmentId: id })).toBeUndefined();
    expect(scrubCpr(`${id} 120379-1234`)).toBe(`${id} [CPR]`);
  });

  test('findCpr returns the path of the first CPR in nested data', () => {
    expect(findCpr({ child: { notes: ['ok', 'cpr 0101901234'] } })).toBe('child.notes[1]');
    expect(findCpr({ child: { id: 'c-1' } })).toBeUndefined();
  });
});

describe('logger', () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _e, cb) {
        lines.push(JSON.parse(chunk.toString()));
        cb();
      },
    });
    return { logger: createLogger({ service: 'test', destination }), lines };
  }

  test('when a log line holds names, tokens or CPR, then they never reach the output', () => {
    const { logger, lines } = capture();
    logger.info({ person: { cpr: '0101901234', firstName: 'Ida', lastName: 'Hansen' }, accessToken: 'eyJ.x.y' }, 'saw child 010190-1234');
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/0101901234|010190-1234|Ida|Hansen|eyJ/);
    expect(lines[0]).toMatchObject({ service: 'test', msg: 'saw child [CPR]', person: { cpr: '[REDACTED]' } });
  });

  test('when an error message quotes a CPR number, then the logged error does not', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error('duplicate key 010190-1234') }, 'insert failed');
    expect(JSON.stringify(lines)).not.toContain('010190-1234');
    expect((lines[0]?.err as { message: string }).message).toBe('duplicate key [CPR]');
  });

  test('when logging inside a request context, then the line carries the request id', () => {
    const { logger, lines } = capture();
    runWithContext({ requestId: 'req-1', correlationId: 'corr-1' }, () => logger.info('inside'));
    logger.info('outside');
    expect(lines[0]).toMatchObject({ requestId: 'req-1', correlationId: 'corr-1' });
    expect(lines[1]).not.toHaveProperty('requestId');
  });
});
