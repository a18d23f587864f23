// When the retention clock of a person's entry starts (pure rules; the sweep is tested against
// the real services in test/integration/privacy.test.ts).
import { describe, expect, test } from '@jest/globals';
import { NEVER_PLACED_UNTIL_AGE, childClockStart, parentClockStart } from '../src/domain/person-retention.js';

const child = { birthYear: 2019, birthMonth: 4 };

describe('a child entry’s retention clock', () => {
  test('does not start while any placement is open, a future one included', () => {
    expect(childClockStart(child, [{ from: '2020-08-01', to: '2022-07-31' }, { from: '2022-08-01', to: null }])).toBeNull();
    expect(childClockStart(child, [{ from: '2030-08-01', to: null }])).toBeNull();
  });

  test('starts the day after the last placement ended, whatever the order they come in', () => {
    expect(childClockStart(child, [{ from: '2022-08-01', to: '2025-12-31' }, { from: '2020-08-01', to: '2022-07-31' }])).toEqual(new Date('2026-01-01T00:00:00Z'));
  });

  test(`of a child never placed starts the month it turns ${NEVER_PLACED_UNTIL_AGE}`, () => {
    expect(childClockStart(child, [])).toEqual(new Date('2026-04-01T00:00:00Z'));
    expect(childClockStart({ birthYear: 2019, birthMonth: 12 }, [])).toEqual(new Date('2026-12-01T00:00:00Z'));
  });

  test('never starts before the entry was registered', () => {
    const registeredAt = new Date('2027-02-03T10:00:00Z');
    expect(childClockStart({ ...child, registeredAt }, [])).toEqual(registeredAt);
    expect(childClockStart({ ...child, registeredAt }, [{ from: '2021-08-01', to: '2024-07-31' }])).toEqual(registeredAt);
    expect(childClockStart({ ...child, registeredAt: new Date('2020-01-01T00:00:00Z') }, [{ from: '2021-08-01', to: '2024-07-31' }])).toEqual(new Date('2024-08-01T00:00:00Z'));
  });
});

describe('a parent entry’s retention clock', () => {
  test('starts when the last child it linked left, and not while it links one', () => {
    const unlinkedAt = new Date('2031-05-01T12:00:00Z');
    expect(parentClockStart({ unlinkedAt }, 0)).toEqual(unlinkedAt);
    expect(parentClockStart({ unlinkedAt }, 1)).toBeNull();
    expect(parentClockStart({}, 0)).toBeNull();
    // An entry from before registeredAt, never linked: from the day the sweep first found it.
    const retentionSeenAt = new Date('2027-03-01T02:00:00Z');
    expect(parentClockStart({ retentionSeenAt }, 0)).toEqual(retentionSeenAt);
    expect(parentClockStart({ retentionSeenAt }, 1)).toBeNull();
    expect(parentClockStart({ retentionSeenAt, unlinkedAt }, 0)).toEqual(unlinkedAt);
  });

  test('of a parent never linked to a child starts at its registration; a link stops it', () => {
    const registeredAt = new Date('2027-01-10T09:00:00Z');
    expect(parentClockStart({ registeredAt }, 0)).toEqual(registeredAt);
    expect(parentClockStart({ registeredAt }, 2)).toBeNull();
    // Unlinked later: the unlinking counts, not the registration.
    const unlinkedAt = new Date('2033-03-01T00:00:00Z');
    expect(parentClockStart({ registeredAt, unlinkedAt }, 0)).toEqual(unlinkedAt);
  });
});
