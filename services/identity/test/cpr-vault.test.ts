import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { CprVault, CprVaultError, parseVaultKeys } from '../src/domain/cpr-vault.js';
import type { Cpr } from '../src/domain/cpr.js';

const key = (id: string) => ({ id, key: randomBytes(32) });
const k2025 = key('k2025');
const k2026 = key('k2026');
const lookup = key('lookup1');
const cpr = '0101204321' as Cpr;
const personId = '0d8f6e2c-5a4b-4c1d-9e8f-7a6b5c4d3e2f';

describe('CprVault', () => {
  test('a sealed CPR number decrypts for its person and never contains the number', () => {
    const vault = new CprVault({ encryptionKeys: [k2026], activeKeyId: 'k2026', lookupKey: lookup });
    const sealed = vault.encrypt(cpr, personId);
    expect(sealed).toMatch(/^v1\.k2026\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain(cpr);
    expect(vault.decrypt(sealed, personId)).toBe(cpr);
    expect(vault.encrypt(cpr, personId)).not.toBe(sealed); // a fresh IV each time
  });

  test('when keys rotate, records under the old key still decrypt and are marked for re-sealing', () => {
    const before = new CprVault({ encryptionKeys: [k2025], activeKeyId: 'k2025', lookupKey: lookup });
    const old = before.encrypt(cpr, personId);
    const after = new CprVault({ encryptionKeys: [k2025, k2026], activeKeyId: 'k2026', lookupKey: lookup });
    expect(after.decrypt(old, personId)).toBe(cpr);
    expect(after.needsReseal(old)).toBe(true);
    expect(after.needsReseal(after.encrypt(cpr, personId))).toBe(false);
  });

  test('when the old key is gone, decrypting says which key is missing', () => {
    const old = new CprVault({ encryptionKeys: [k2025], activeKeyId: 'k2025', lookupKey: lookup }).encrypt(cpr, personId);
    const vault = new CprVault({ encryptionKeys: [k2026], activeKeyId: 'k2026', lookupKey: lookup });
    expect(() => vault.decrypt(old, personId)).toThrow('sealed under key k2025, which is not configured');
  });

  test('a ciphertext moved to another person, or tampered with, does not decrypt', () => {
    const vault = new CprVault({ encryptionKeys: [k2026], activeKeyId: 'k2026', lookupKey: lookup });
    const sealed = vault.encrypt(cpr, personId);
    expect(() => vault.decrypt(sealed, 'another-person')).toThrow(CprVaultError);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('9999999999').toString('base64url');
    expect(() => vault.decrypt(parts.join('.'), personId)).toThrow(/does not decrypt/);
  });

  test('the lookup hash is stable for a number, differs between numbers, and needs the key', () => {
    const vault = new CprVault({ encryptionKeys: [k2026], activeKeyId: 'k2026', lookupKey: lookup });
    const hash = vault.lookupHash(cpr);
    expect(hash).toMatch(/^lookup1:[0-9a-f]{64}$/);
    expect(vault.lookupHash(cpr)).toBe(hash);
    expect(vault.lookupHash('0101204322' as Cpr)).not.toBe(hash);
    expect(vault.matches(cpr, hash)).toBe(true);
    const otherKey = new CprVault({ encryptionKeys: [k2026], activeKeyId: 'k2026', lookupKey: { id: 'lookup1', key: randomBytes(32) } });
    expect(otherKey.lookupHash(cpr)).not.toBe(hash);
  });

  test('an active key that is not configured is refused at start', () => {
    expect(() => new CprVault({ encryptionKeys: [k2025], activeKeyId: 'k2026', lookupKey: lookup })).toThrow('the active key k2026 is not among the encryption keys');
  });
});

describe('parseVaultKeys', () => {
  const b64 = (n: number) => randomBytes(n).toString('base64');

  test('reads id:base64 pairs', () => {
    const keys = parseVaultKeys(`k1:${b64(32)}, k2:${b64(32)}`, 'CPR_ENCRYPTION_KEYS');
    expect(keys.map((k) => [k.id, k.key.length])).toEqual([['k1', 32], ['k2', 32]]);
  });

  test.each([
    ['', 'no keys'],
    ['k1', 'each key must be'],
    [`k 1:${b64(32)}`, 'each key must be'],
    [`k1:${b64(16)}`, 'key k1 is 16 bytes'],
    [`k1:${b64(32)},k1:${b64(32)}`, 'a key id is used twice'],
  ])('refuses %p naming the variable', (value, message) => {
    expect(() => parseVaultKeys(value, 'CPR_ENCRYPTION_KEYS')).toThrow(`CPR_ENCRYPTION_KEYS: ${message}`);
  });
});
