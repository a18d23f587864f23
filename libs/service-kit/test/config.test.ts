import { describe, expect, test } from '@jest/globals';
import { z } from 'zod';
import { ConfigError, baseConfigShape, env, loadConfig } from '../src/index.js';

const schema = z.object({ ...baseConfigShape, SIGNING_SECRET: env.secret(16) });
const good = { MONGO_URL: 'mongodb://127.0.0.1:27017', KAFKA_BROKERS: '127.0.0.1:9092,kafka-1.kafka:9092', SIGNING_SECRET: 'x'.repeat(32) };

function issuesOf(envVars: NodeJS.ProcessEnv) {
  try {
    loadConfig(schema, envVars);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('when every variable is valid, then values are parsed and defaults filled', () => {
    const config = loadConfig(schema, good);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', 'kafka-1.kafka:9092']);
    expect(config.PORT).toBe(8080);
    expect(config.LOG_LEVEL).toBe('info');
  });

  test('when MONGO_URL is missing, then the error names it as required', () => {
    const { MONGO_URL: _omit, ...rest } = good;
    expect(issuesOf(rest)).toEqual([{ variable: 'MONGO_URL', message: 'is required but not set' }]);
  });

  test('when a variable is set to an empty string, then it counts as missing', () => {
    expect(issuesOf({ ...good, SIGNING_SECRET: '  ' })).toEqual([{ variable: 'SIGNING_SECRET', message: 'is required but not set' }]);
  });

  test.each([
    ['KAFKA_BROKERS', 'localhost', 'host:port'],
    ['KAFKA_BROKERS', '127.0.0.1:9092,,:x', 'host:port'],
    ['MONGO_URL', 'postgres://db', 'mongodb://'],
    ['PORT', 'eighty', 'port number'],
    ['PORT', '70000', ''],
    ['LOG_LEVEL', 'loud', ''],
    ['SIGNING_SECRET', 'short', 'at least 16'],
  ])('when %s is %p, then the error names %s', (variable, value, hint) => {
    const issues = issuesOf({ ...good, [variable]: value });
    expect(issues.map((i) => i.variable)).toEqual([variable]);
    expect(issues[0]?.message).toContain(hint);
  });

  test('when several variables are wrong, then every one is listed', () => {
    const issues = issuesOf({ KAFKA_BROKERS: 'nope' });
    expect(issues.map((i) => i.variable).sort()).toEqual(['KAFKA_BROKERS', 'MONGO_URL', 'SIGNING_SECRET']);
  });
});
