// Signing keys across replicas against the real store: the next period's key is published before
// it signs, so a replica that has not reloaded yet still verifies (and serves in its JWKS) the
// tokens another replica signs with it, and every replica switches at the period's start.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { testInfra, uniqueName } from '@spor/testkit';
import { parseBoxKey } from '../src/domain/sealed-box.js';
import { PUBLISH_AHEAD_MS, SigningKeyStore } from '../src/store/signing-key-store.js';

const HOUR = 3_600_000;
const policy = { rotateAfterMs: HOUR, tokenTtlMs: 10 * 60_000, clockSkewMs: 30_000 };
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await MongoClient.connect(testInfra().mongoUrl);
  db = client.db(uniqueName('signing-keys-test'));
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

describe('signing keys', () => {
  test('the next period’s key is published ahead by every replica and signs from the period’s start on; the old one stays until its tokens expired', async () => {
    const seal = parseBoxKey(`s:${randomBytes(32).toString('base64')}`);
    const [a, b] = [new SigningKeyStore(db.collection('signing_keys'), seal, policy), new SigningKeyStore(db.collection('signing_keys'), seal, policy)];
    const start = Math.ceil(Date.now() / HOUR) * HOUR + 10 * HOUR;
    const at = (ms: number) => new Date(start + ms);

    // Early in a period: one key, which signs.
    const early = await a.load(at(5 * 60_000));
    expect(early.jwks().keys).toHaveLength(1);
    const current = early.active(at(5 * 60_000)).kid;

    // Within PUBLISH_AHEAD_MS of the next period: replica b publishes the next key; a finds it, no third one.
    const ahead = await b.load(at(HOUR - PUBLISH_AHEAD_MS + 1_000));
    expect(ahead.jwks().keys).toHaveLength(2);
    const next = ahead.jwks().keys.map((k) => k.kid).find((kid) => kid !== current)!;
    expect(ahead.active(at(HOUR - 1))).toMatchObject({ kid: current });
    const reloaded = await a.load(at(HOUR - 60_000));
    expect(reloaded.jwks().keys.map((k) => k.kid).sort()).toEqual([current, next].sort());
    // Both switch at the period's start by the clock, before their next reload.
    expect([ahead.active(at(HOUR)).kid, reloaded.active(at(HOUR)).kid]).toEqual([next, next]);
    expect(await db.collection('signing_keys').countDocuments()).toBe(2);

    // The old key stays published while tokens it signed may be valid, then leaves.
    expect((await a.load(at(HOUR + policy.tokenTtlMs))).jwks().keys.map((k) => k.kid)).toContain(current);
    expect((await a.load(at(HOUR + policy.tokenTtlMs + policy.clockSkewMs + 1_000))).jwks().keys.map((k) => k.kid)).toEqual([next]);
  });
});
