import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { loadConfig, type ConfigError } from '@spor/service-kit';
import { identityConfigSchema } from '../src/config.js';

const b64 = (n = 32) => randomBytes(n).toString('base64');
const good = {
  MONGO_URL: 'mongodb://127.0.0.1:27017',
  KAFKA_BROKERS: '127.0.0.1:9092',
  TOKEN_ISSUER: 'https://identity.example.kommune.dk',
  SIGNING_KEY_SEAL_KEY: `seal1:${b64()}`,
  CPR_ENCRYPTION_KEYS: `k1:${b64()},k2:${b64()}`,
  CPR_ENCRYPTION_ACTIVE_KEY: 'k2',
  CPR_LOOKUP_KEY: `l1:${b64()}`,
};

function issues(env: Record<string, string | undefined>) {
  try {
    loadConfig(identityConfigSchema, env);
  } catch (error) {
    return (error as ConfigError).issues;
  }
  return [];
}

describe('identity configuration', () => {
  test('a complete configuration loads with defaults', () => {
    expect(loadConfig(identityConfigSchema, good)).toMatchObject({ TOKEN_AUDIENCE: 'spor-api', ACCESS_TOKEN_TTL_SECONDS: 300, IDENTITY_DB_NAME: 'spor-identity' });
  });

  test.each([
    ['CPR_ENCRYPTION_KEYS', `k1:${b64(16)},k2:${b64()}`, 'key k1 is 16 bytes; AES-256 and HMAC-SHA256 keys here are 32 bytes'],
    ['CPR_ENCRYPTION_ACTIVE_KEY', 'k9', 'names no key in CPR_ENCRYPTION_KEYS (k1, k2)'],
    ['SIGNING_KEY_SEAL_KEY', 'plain-text-secret', 'SIGNING_KEY_SEAL_KEY must be <id>:<base64 of 32 random bytes>'],
    ['CPR_LOOKUP_KEY', undefined, 'is required but not set'],
    ['TOKEN_ISSUER', 'identity', 'must be a URL'],
    ['SERVICE_CLIENTS', '[{"id":"transitions","secretSha256":"abc","scopes":["consent:read"]}]', 'must be a JSON list of {"id","secretSha256","scopes"}: 0.secretSha256 must be the hex SHA-256 of the client secret'],
    ['WEB_ORIGINS', 'https://spor.kommune.dk/app', 'https://spor.kommune.dk/app is not an origin like https://spor.kommune.dk'],
  ])('when %s is %p, then start-up stops naming it', (variable, value, message) => {
    expect(issues({ ...good, [variable]: value })).toEqual([{ variable, message }]);
  });
});
