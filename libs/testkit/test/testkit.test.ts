import { describe, expect, test } from '@jest/globals';
import { memoryLogger, uniqueName, waitFor } from '../src/index.js';

describe('testkit', () => {
  test('uniqueName gives a new name each time, usable in topic and database names', () => {
    const a = uniqueName('orders');
    expect(a).toMatch(/^orders-[0-9a-f]{8}$/);
    expect(uniqueName('orders')).not.toBe(a);
  });

  test('waitFor returns the first truthy value, and names what it waited for when it times out', async () => {
    let n = 0;
    await expect(waitFor('n to reach 3', () => (++n >= 3 ? n : false), 1_000, 1)).resolves.toBe(3);
    await expect(waitFor('never', () => false, 50, 5)).rejects.toThrow('timed out after 50 ms waiting for never');
  });

  test('memoryLogger keeps the JSON lines it was given', () => {
    const { logger, lines } = memoryLogger();
    logger.info({ a: 1 }, 'hello');
    expect(lines()).toEqual([expect.objectContaining({ a: 1, msg: 'hello' })]);
  });
});
