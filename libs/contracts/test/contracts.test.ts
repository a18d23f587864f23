import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { EventFactory, topicOfType } from '@spor/events';
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

  test.each(['completed', 'amended'])('an assessment %s names the child for a child’s assessment and the group for a group’s, never both', (kind) => {
    const registry = contractRegistry();
    const type = `dk.spor.assessments.assessment.${kind}.v1`;
    const [childId, groupId] = [randomUUID(), randomUUID()];
    const common = { assessmentId: randomUUID(), instrumentId: 'motorik', instrumentVersion: 1, institutionId: randomUUID(), rating: 'single', results: [], completedOn: '2026-10-01' };
    const child = new EventFactory('assessments', registry).create(type, { subject: childId, partitionKey: childId, municipalityId: '510', aggregateVersion: 1, data: { ...common, target: 'child', childId, ageMonths: 40 } });
    const fields = (data: object) => registry.check({ ...child, data }).map((p) => p.path);
    expect(fields(child.data)).toEqual([]);
    expect(fields({ ...common, target: 'group', groupId })).toEqual([]);
    expect(fields({ ...common, target: 'child', groupId })).toEqual(expect.arrayContaining(['data', 'data.groupId']));
    expect(fields({ ...common, target: 'child', childId, groupId })).toEqual(expect.arrayContaining(['data.groupId']));
    expect(fields({ ...common, target: 'group', groupId, childId, ageMonths: 40 })).toEqual(expect.arrayContaining(['data.childId', 'data.ageMonths']));
  });
});
