// Holds the cheap part of the versioning policy (docs/contracts.md): names carry their major
// version, and no committed field of a `.v1` type is removed, retyped or made (un)required.
// After a compatible addition, record it: UPDATE_CONTRACT_SNAPSHOT=1 and run this test.
import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVELOPE_SCHEMA_PATH, parseEventType, topicOfType } from '@spor/events';
import { EVENT_SCHEMA_DIR } from '../src/index.js';
import { POLICY, incompatibleChanges, snapshotOf, unrecorded, type ContractSnapshot } from './compatibility.js';

const SNAPSHOT_PATH = join(EVENT_SCHEMA_DIR, '..', 'contract-snapshot.json');
const files = readdirSync(EVENT_SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).sort();
const schemas = files.map((f) => JSON.parse(readFileSync(join(EVENT_SCHEMA_DIR, f), 'utf8')) as Record<string, unknown>);

describe('contract versions', () => {
  test.each(files.map((f, i) => [f, schemas[i]!] as const))('%s carries its major version in its type, $id and topic', (file, schema) => {
    const type = String(schema['x-event-type']);
    const { major } = parseEventType(type);
    expect(file).toBe(`${type}.schema.json`);
    expect(schema.$id).toBe(`https://schemas.spor.dk/events/${type}.schema.json`);
    expect(type.endsWith(`.v${major}`)).toBe(true);
    expect(topicOfType(type).endsWith(`.v${major}`)).toBe(true);
  });

  test('the envelope schema carries its version too', () => {
    expect(JSON.parse(readFileSync(ENVELOPE_SCHEMA_PATH, 'utf8')).$id).toMatch(/\/cloudevent\.v1\.schema\.json$/);
  });

  test(`no field of a published type is removed, retyped or made (un)required (see ${POLICY})`, () => {
    const now = snapshotOf(schemas);
    if (process.env.UPDATE_CONTRACT_SNAPSHOT === '1') {
      // Recording is for compatible additions only: incompatible changes still fail below.
      const before = JSON.parse(readFileSync(SNAPSHOT_PATH, 'utf8')) as ContractSnapshot;
      if (incompatibleChanges(before, now).length === 0) writeFileSync(SNAPSHOT_PATH, `${JSON.stringify(now, null, 2)}\n`);
    }
    const before = JSON.parse(readFileSync(SNAPSHOT_PATH, 'utf8')) as ContractSnapshot;
    const problems = incompatibleChanges(before, now);
    if (problems.length > 0) {
      throw new Error(
        `Incompatible change to a published event contract:\n  - ${problems.join('\n  - ')}\n` +
          `Consumers of these types break. Keep the .v1 schema as it is and publish the change as a .v2 type on a .v2 topic beside it (${POLICY}, "Incompatible changes").`,
      );
    }
    const missing = unrecorded(before, now);
    if (missing.length > 0) {
      throw new Error(
        `Not yet in libs/contracts/contract-snapshot.json:\n  - ${missing.join('\n  - ')}\n` +
          `If these are compatible additions (${POLICY}, "Compatible changes"), record them: UPDATE_CONTRACT_SNAPSHOT=1 npm test -w libs/contracts`,
      );
    }
  });
});

describe('the compatibility check itself', () => {
  const base = {
    'x-event-type': 'dk.spor.fixture.thing.happened.v1',
    type: 'object',
    required: ['thingId', 'on'],
    properties: { thingId: { type: 'string', format: 'uuid' }, on: { type: 'string', format: 'date' }, note: { enum: ['a', 'b'] }, parts: { type: 'array', items: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
  };
  const before = snapshotOf([base]);
  const after = (change: (s: typeof base) => void) => {
    const copy = structuredClone(base);
    change(copy);
    return incompatibleChanges(before, snapshotOf([copy]));
  };

  test('removing, renaming, retyping a field or changing its required-ness is incompatible', () => {
    expect(after((s) => delete (s.properties as Record<string, unknown>).on)).toEqual([expect.stringMatching(/field on was removed/)]);
    expect(after((s) => (s.required = ['thingId']))).toEqual([expect.stringMatching(/field on is no longer required/)]);
    expect(after((s) => (s.properties.thingId = { type: 'integer' } as never))).toEqual([expect.stringMatching(/thingId changed from string\(uuid\) to integer/)]);
    expect(after((s) => (s.properties.note = { enum: ['a', 'b', 'c'] }))).toEqual([expect.stringMatching(/note changed/)]);
    expect(after((s) => s.required.push('note'))).toEqual([expect.stringMatching(/note became required/)]);
    expect(after((s) => (s.properties.parts.items.properties.n = { type: 'string' } as never))).toEqual([expect.stringMatching(/parts\[\]\.n changed/)]);
    expect(incompatibleChanges(before, {})).toEqual([expect.stringMatching(/was removed/)]);
  });

  test('a new optional field, or a new required field inside a new optional object, is compatible', () => {
    expect(after((s) => ((s.properties as Record<string, unknown>).extra = { type: 'string' }))).toEqual([]);
    expect(after((s) => ((s.properties as Record<string, unknown>).box = { type: 'object', required: ['x'], properties: { x: { type: 'string' } } }))).toEqual([]);
  });
});
