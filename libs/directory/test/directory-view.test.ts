// The directory projection against a real MongoDB-wire server, fed the events identity and
// transitions publish, and the access rule decided from it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import type { Principal } from '@spor/auth';
import type { SporEvent } from '@spor/events';
import { testInfra, uniqueName } from '@spor/testkit';
import { DIRECTORY_EVENTS, DirectoryView, danishDay, staffMaySeeChild } from '../src/index.js';

let client: MongoClient;
let db: Db;
let view: DirectoryView;
const ids = { mun: randomUUID(), district: randomUUID(), nursery: randomUUID(), kindergarten: randomUUID(), group: randomUUID(), child: randomUUID(), p1: randomUUID(), p2: randomUUID() };

const event = (type: string, subject: string, version: number, data: Record<string, unknown>): SporEvent =>
  ({ specversion: '1.0', id: randomUUID(), source: 'spor/test', type, subject, time: new Date().toISOString(), datacontenttype: 'application/json', municipalityid: '510', aggregateversion: version, data }) as SporEvent;

async function apply(...events: SporEvent[]): Promise<void> {
  const handlers = view.handlers();
  for (const e of events) await handlers[e.type]!(e, { logger: undefined as never } as never);
}

const staff = (role: Principal['roles'][number]['role'], unitId: string): Principal => ({ subject: randomUUID(), kind: 'staff', municipalityId: '510', roles: [{ role, unitId }], children: [], scopes: [], expiresAt: new Date() });

beforeAll(async () => {
  client = await MongoClient.connect(testInfra().mongoUrl);
  db = client.db(uniqueName('directory-test'));
  // Created first: FerretDB deadlocks when several writers create one collection implicitly.
  for (const name of DirectoryView.collections) await db.createCollection(name);
  view = new DirectoryView(db, ['persons', 'custody', 'units', 'enrollments']);
  await view.init();
  const unit = (id: string, kind: string, parentId: string | null, institutionType?: string) => event(DIRECTORY_EVENTS.unitCreated, id, 1, { unitId: id, kind, parentId, ...(institutionType ? { institutionType } : {}) });
  await apply(
    unit(ids.mun, 'municipality', null),
    unit(ids.district, 'district', ids.mun),
    unit(ids.nursery, 'institution', ids.district, 'vuggestue'),
    unit(ids.kindergarten, 'institution', ids.district, 'boernehave'),
    unit(ids.group, 'group', ids.nursery),
    event(DIRECTORY_EVENTS.personRegistered, ids.child, 1, { personId: ids.child, kind: 'child', birthYear: 2024, birthMonth: 3 }),
    event(DIRECTORY_EVENTS.guardianshipRegistered, `${ids.p1}:${ids.child}`, 1, { parentId: ids.p1, childId: ids.child, custody: true }),
    event(DIRECTORY_EVENTS.guardianshipRegistered, `${ids.p2}:${ids.child}`, 1, { parentId: ids.p2, childId: ids.child, custody: true }),
  );
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

describe('directory view', () => {
  test('persons, custody and the unit tree come from identity’s events; an older event changes nothing', async () => {
    expect(await view.person(ids.child)).toMatchObject({ kind: 'child', municipalityId: '510' });
    expect(await view.custodyHolders(ids.child)).toEqual([ids.p1, ids.p2].sort());
    await apply(event(DIRECTORY_EVENTS.guardianshipRegistered, `${ids.p2}:${ids.child}`, 2, { parentId: ids.p2, childId: ids.child, custody: false }));
    await apply(event(DIRECTORY_EVENTS.guardianshipRegistered, `${ids.p2}:${ids.child}`, 1, { parentId: ids.p2, childId: ids.child, custody: true }));
    expect(await view.custodyHolders(ids.child)).toEqual([ids.p1]);
    expect((await view.unitPath(ids.group)).map((u) => u._id)).toEqual([ids.group, ids.nursery, ids.district, ids.mun]);
    expect(await view.childUnits(ids.nursery)).toEqual([ids.group]);
  });

  test('staff see a child while it is placed on or under their unit; the old institution loses it after a move', async () => {
    const first = randomUUID();
    const second = randomUUID();
    await apply(event(DIRECTORY_EVENTS.enrolled, ids.child, 1, { childId: ids.child, placementId: first, institutionId: ids.nursery, institutionType: 'vuggestue', groupId: ids.group, from: '2025-08-01', to: null }));
    const educator = staff('educator', ids.group);
    const consultant = staff('pedagogical-consultant', ids.district);
    const kindergartenLeader = staff('leader', ids.kindergarten);
    const roles = ['educator', 'leader', 'pedagogical-consultant'] as const;
    expect(await staffMaySeeChild(view, educator, ids.child, '2026-01-15', roles)).toBe(true);
    expect(await staffMaySeeChild(view, consultant, ids.child, '2026-01-15', roles)).toBe(true);
    expect(await staffMaySeeChild(view, kindergartenLeader, ids.child, '2026-01-15', roles)).toBe(false);
    expect(await staffMaySeeChild(view, educator, ids.child, '2025-07-31', roles)).toBe(false);
    // The role must be one the route accepts.
    expect(await staffMaySeeChild(view, educator, ids.child, '2026-01-15', ['leader'])).toBe(false);

    await apply(
      event(DIRECTORY_EVENTS.moved, ids.child, 2, {
        childId: ids.child,
        placementId: second,
        institutionId: ids.kindergarten,
        institutionType: 'boernehave',
        groupId: null,
        from: '2026-03-01',
        to: null,
        previous: { placementId: first, institutionId: ids.nursery, groupId: ids.group, to: '2026-02-28' },
      }),
    );
    expect(await staffMaySeeChild(view, educator, ids.child, '2026-02-28', roles)).toBe(true);
    expect(await staffMaySeeChild(view, educator, ids.child, '2026-03-01', roles)).toBe(false);
    expect(await staffMaySeeChild(view, kindergartenLeader, ids.child, '2026-03-01', roles)).toBe(true);
    expect((await view.placementHistory(ids.child)).map((p) => [p.institutionId, p.from, p.to])).toEqual([
      [ids.nursery, '2025-08-01', '2026-02-28'],
      [ids.kindergarten, '2026-03-01', null],
    ]);
  });

  test('a change of custody is told to the listeners with its time: a guardianship, and a custody holder who left, also when the removal comes again after a listener failed', async () => {
    const [child, parent] = [randomUUID(), randomUUID()];
    const heard: [string, string][] = [];
    let failing = false;
    view.onCustodyChange(async (childId, at) => {
      if (failing) throw new Error('the consent store did not answer');
      heard.push([childId, at.toISOString()]);
    });
    const registered = event(DIRECTORY_EVENTS.guardianshipRegistered, `${parent}:${child}`, 1, { parentId: parent, childId: child, custody: true });
    await apply(event(DIRECTORY_EVENTS.personRegistered, parent, 1, { personId: parent, kind: 'parent', birthYear: 1990, birthMonth: 2 }), registered);
    expect(heard).toEqual([[child, registered.time]]);
    const removal = event(DIRECTORY_EVENTS.personRemoved, parent, 2, { personId: parent, kind: 'parent' });
    failing = true;
    await expect(apply(removal)).rejects.toThrow('did not answer');
    expect(await view.custodyHolders(child)).toEqual([]);
    failing = false;
    await apply(removal);
    expect(heard.at(-1)).toEqual([child, removal.time]);
  });

  test('a child’s entry removed from the directory takes its person, custody and placements out of the view; a parent’s its person and custody', async () => {
    const [child, mother, father, placement] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const removed = (personId: string, kind: string) => event(DIRECTORY_EVENTS.personRemoved, personId, 2, { personId, kind });
    await apply(
      event(DIRECTORY_EVENTS.personRegistered, child, 1, { personId: child, kind: 'child', birthYear: 2018, birthMonth: 5 }),
      event(DIRECTORY_EVENTS.personRegistered, mother, 1, { personId: mother, kind: 'parent', birthYear: 1988, birthMonth: 1 }),
      event(DIRECTORY_EVENTS.guardianshipRegistered, `${mother}:${child}`, 1, { parentId: mother, childId: child, custody: true }),
      event(DIRECTORY_EVENTS.guardianshipRegistered, `${father}:${child}`, 1, { parentId: father, childId: child, custody: true }),
      event(DIRECTORY_EVENTS.enrolled, child, 1, { childId: child, placementId: placement, institutionId: ids.kindergarten, institutionType: 'boernehave', groupId: null, from: '2021-08-01', to: null }),
      event(DIRECTORY_EVENTS.ended, child, 2, { childId: child, placementId: placement, institutionId: ids.kindergarten, to: '2024-07-31' }),
    );
    // Cached before the removal: the view must forget what it remembered too.
    expect(await view.placementHistory(child)).toHaveLength(1);
    expect(await view.person(child)).not.toBeNull();
    expect(await view.custodyHolders(child)).toEqual([mother, father].sort());

    await apply(removed(child, 'child'));
    expect(await view.person(child)).toBeNull();
    expect(await view.custodyHolders(child)).toEqual([]);
    expect(await view.placementHistory(child)).toEqual([]);
    expect(await view.childrenInCustody(mother)).toEqual([]);
    expect(await view.person(mother)).not.toBeNull();
    // Redelivered: nothing left to take, nothing fails.
    await apply(removed(child, 'child'));

    await apply(event(DIRECTORY_EVENTS.guardianshipRegistered, `${mother}:${ids.child}`, 1, { parentId: mother, childId: ids.child, custody: false }));
    await apply(removed(mother, 'parent'));
    expect(await view.person(mother)).toBeNull();
    expect(await db.collection('directory_custody').countDocuments({ parentId: mother })).toBe(0);
    // The rest of the directory is untouched.
    expect(await view.person(ids.child)).not.toBeNull();
    expect(await view.custodyHolders(ids.child)).toEqual([ids.p1]);
  });

  test('a removed child’s events read again (a replay, or enrollments consumed after the removal) bring nothing back; only its id and kind stay', async () => {
    const [child, mother, placement, next] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const history = [
      event(DIRECTORY_EVENTS.personRegistered, child, 1, { personId: child, kind: 'child', birthYear: 2019, birthMonth: 2 }),
      event(DIRECTORY_EVENTS.guardianshipRegistered, `${mother}:${child}`, 1, { parentId: mother, childId: child, custody: true }),
      event(DIRECTORY_EVENTS.enrolled, child, 1, { childId: child, placementId: placement, institutionId: ids.kindergarten, institutionType: 'boernehave', groupId: null, from: '2022-08-01', to: null }),
      event(DIRECTORY_EVENTS.moved, child, 2, { childId: child, placementId: next, institutionId: ids.nursery, institutionType: 'vuggestue', groupId: null, from: '2023-01-01', to: null, previous: { placementId: placement, to: '2022-12-31' } }),
      event(DIRECTORY_EVENTS.ended, child, 3, { childId: child, placementId: next, institutionId: ids.nursery, to: '2025-07-31' }),
    ];
    await apply(...history);
    expect(await view.placementHistory(child)).toHaveLength(2);
    await apply(event(DIRECTORY_EVENTS.personRemoved, child, 2, { personId: child, kind: 'child' }));

    await apply(...history);
    expect(await view.person(child)).toBeNull();
    expect(await view.custodyHolders(child)).toEqual([]);
    expect(await view.childrenInCustody(mother)).toEqual([]);
    expect(await view.placementHistory(child)).toEqual([]);
    expect(await view.childrenOf('510')).not.toContainEqual(expect.objectContaining({ _id: child }));
    expect(await db.collection('directory_persons').findOne({ _id: child as never })).toEqual({ _id: child, version: 2, kind: 'child', removed: true });
    // Removed by identity itself (no event version): the marker outranks any registration too.
    const other = randomUUID();
    await view.forgetPerson(other, 'child');
    await apply(event(DIRECTORY_EVENTS.personRegistered, other, 7, { personId: other, kind: 'child', birthYear: 2020, birthMonth: 1 }));
    expect(await view.person(other)).toBeNull();
  });

  test('placements transitions disposed of leave the view by id: a later placement of the child stays, and a replay ends without them', async () => {
    const [child, old, next, later] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const history = [
      event(DIRECTORY_EVENTS.enrolled, child, 1, { childId: child, placementId: old, institutionId: ids.nursery, institutionType: 'vuggestue', groupId: null, from: '2019-08-01', to: null }),
      event(DIRECTORY_EVENTS.moved, child, 2, { childId: child, placementId: next, institutionId: ids.kindergarten, institutionType: 'boernehave', groupId: null, from: '2020-08-01', to: null, previous: { placementId: old, to: '2020-07-31' } }),
      event(DIRECTORY_EVENTS.ended, child, 3, { childId: child, placementId: next, institutionId: ids.kindergarten, to: '2023-07-31' }),
    ];
    const removal = event(DIRECTORY_EVENTS.placementsRemoved, child, 4, { childId: child, placementIds: [old, next] });
    // Placed again: a new history (version 1) whose first event reached the topic before the removal.
    const placedAgain = event(DIRECTORY_EVENTS.enrolled, child, 1, { childId: child, placementId: later, institutionId: ids.kindergarten, institutionType: 'boernehave', groupId: null, from: '2029-08-01', to: null });
    const keeping = new DirectoryView(db, ['enrollments'], { keepRemovedPlacements: true });
    await apply(...history, placedAgain);
    expect(await view.placementHistory(child)).toHaveLength(3);

    await apply(removal);
    expect((await view.placementHistory(child)).map((p) => p._id)).toEqual([later]);
    expect(await view.person(child)).toBeNull();
    // Read again from the start, in the topic's order: the same end.
    await apply(...history, placedAgain, removal, removal);
    expect((await view.placementHistory(child)).map((p) => p._id)).toEqual([later]);
    // identity's view keeps them: the child's entry counts its retention from them.
    await apply(...history);
    await keeping.handlers()[DIRECTORY_EVENTS.placementsRemoved]!(removal, { logger: undefined as never } as never);
    expect((await keeping.placementHistory(child)).map((p) => p._id).sort()).toEqual([old, next, later].sort());
  });

  test('the day is Danish: just after midnight in Copenhagen is already the next day', () => {
    expect(danishDay(new Date('2026-06-30T22:30:00Z'))).toBe('2026-07-01');
    expect(danishDay(new Date('2026-12-31T22:59:00Z'))).toBe('2026-12-31');
  });
});
