// The audit trail against a real MongoDB-wire server: entries name actor, roles, action and
// record, and a child's accesses are one query.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MongoClient, type Db } from 'mongodb';
import type { Principal } from '@spor/auth';
import { testInfra, uniqueName } from '@spor/testkit';
import { AuditLog } from '../src/index.js';

let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await MongoClient.connect(testInfra().mongoUrl);
  db = client.db(uniqueName('audit-test'));
  await db.createCollection(AuditLog.collection);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

const educator: Principal = { subject: 'staff-1', kind: 'staff', municipalityId: '510', roles: [{ role: 'educator', unitId: 'group-1' }], children: [], scopes: [], expiresAt: new Date() };

describe('audit log', () => {
  test('records who did what to which record about which child, in order', async () => {
    const audit = new AuditLog(db);
    await audit.init();
    await audit.record(educator, { action: 'read', recordType: 'assessment', recordId: 'a-1', childId: 'child-1' });
    await audit.record(educator, { action: 'complete', recordType: 'assessment', recordId: 'a-1', childId: 'child-1' });
    await audit.record(educator, { action: 'read', recordType: 'assessment', recordId: 'a-2', childId: 'child-2' });
    const entries = await audit.forChild('child-1');
    expect(entries.map((e) => [e.action, e.recordId, e.actor, e.actorKind, e.roles, e.municipalityId])).toEqual([
      ['read', 'a-1', 'staff-1', 'staff', ['educator@group-1'], '510'],
      ['complete', 'a-1', 'staff-1', 'staff', ['educator@group-1'], '510'],
    ]);
    expect((await audit.forRecord('a-2')).map((e) => e.childId)).toEqual(['child-2']);
  });
});
