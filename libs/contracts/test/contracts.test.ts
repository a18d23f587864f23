import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { topicOfType } from '@spor/events';
import { EVENT_SCHEMA_DIR, contractRegistry } from '../src/index.js';

// Topic names as production has them, without the test run's namespace (jest.config.mjs).
delete process.env.SPOR_TOPIC_NAMESPACE;

describe('event contracts', () => {
  const files = readdirSync(EVENT_SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));

  test('every schema compiles, and its file is named after the type it declares', () => {
    const registry = contractRegistry();
    expect(registry.types()).toEqual(files.map((f) => f.replace('.schema.json', '')).sort());
  });

  test.each(files)('%s closes its data (no unknown properties) and names a topic', (file) => {
    const schema = JSON.parse(readFileSync(join(EVENT_SCHEMA_DIR, file), 'utf8'));
    expect(schema.additionalProperties).toBe(false);
    expect(topicOfType(schema['x-event-type'])).toMatch(/^spor\.[a-z-]+\.[a-z-]+\.v\d+$/);
  });
});
