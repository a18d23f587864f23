// Derived ids: stable (stored consents carry them), different per input, and valid UUIDs.
import { describe, expect, test } from '@jest/globals';
import { hashedUuid, z } from '../src/index.js';

describe('hashedUuid', () => {
  test('the same input always gives the same version 8 UUID, another input another one', () => {
    // The value consents were stored under before the function moved here: it must never change.
    expect(hashedUuid('spor')).toBe('23a66b02-ed33-8317-b060-1c74fea58a0c');
    expect(hashedUuid('spor')).toBe(hashedUuid('spor'));
    expect(hashedUuid('spor\n1')).not.toBe(hashedUuid('spor\n2'));
    for (const input of ['', 'a', 'entry-1\nabc', JSON.stringify(['child', 'purpose', []])]) {
      const id = hashedUuid(input);
      expect(z.uuid().safeParse(id).success).toBe(true);
      expect(id[14]).toBe('8');
      expect('89ab').toContain(id[19]);
    }
  });
});
