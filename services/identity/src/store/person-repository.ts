// Persons as aggregates: the sealed CPR and its lookup hash live only here.
import type { Collection } from 'mongodb';
import { conflict, isAppError } from '@spor/service-kit';
import { backfillUniqueKey, isDuplicateKeyError } from '@spor/mongo';
import { AggregateStore, WITHOUT_OUTBOX, deletePublished, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import type { Person } from '../domain/person.js';

/** What the retention sweep reads of every entry (allOfKind). */
const RETENTION_FIELDS = { kind: 1, municipalityId: 1, birthYear: 1, birthMonth: 1, registeredAt: 1, unlinkedAt: 1, retentionSeenAt: 1, version: 1, hasPending: 1 } as const;

export const PERSON_REGISTERED = 'dk.spor.identity.person.registered.v1';
/** Published by the retention sweep with the disposal of a person's entry (src/privacy.ts). */
export const PERSON_REMOVED = 'dk.spor.identity.person.removed.v1';

/**
 * A staff member's login (their externalId, the user id KOMBIT's Context Handler sends) stored
 * once more as `staffLogin`, under a unique index: one login id opens one person's roles. Only
 * staff have it, so children's and parents' external ids (other systems' numbers) may coincide
 * with a login without a conflict. Never returned (toJson in the routes leaves it out).
 */
export const STAFF_LOGIN = 'staffLogin';
const loginOf = (p: Person): { staffLogin?: string } => (p.kind === 'staff' && p.externalId ? { [STAFF_LOGIN]: p.externalId } : {});

export class PersonRepository {
  private readonly store: AggregateStore<Person>;

  constructor(
    private readonly collection: Collection<Stored<Person>>,
    private readonly factory: EventFactory,
    private readonly locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    this.store = new AggregateStore<Person>({ collection, locks, relay, aggregate: 'person' });
  }

  get(id: string): Promise<Stored<Person> | null> {
    return this.store.load(id);
  }

  async findByCprHash(cprHash: string): Promise<Stored<Person> | null> {
    return (await this.collection.findOne({ cprHash }, { projection: WITHOUT_OUTBOX })) as Stored<Person> | null;
  }

  async findStaffByExternalId(externalId: string): Promise<Stored<Person> | null> {
    return (await this.collection.findOne({ [STAFF_LOGIN]: externalId } as never, { projection: WITHOUT_OUTBOX })) as Stored<Person> | null;
  }

  /** Saves changed names or login id; events never carry those, so none is published. */
  async change(id: string, expectedVersion: number, next: Person, previous: Person): Promise<Stored<Person>> {
    try {
      return await this.store.save(id, expectedVersion, { ...next, ...loginOf(next) }, [], previous);
    } catch (error) {
      // Another staff member took the login id between the route's check and this write.
      if (isDuplicateKeyError(error)) throw loginTaken(next.externalId!);
      throw error;
    }
  }

  /**
   * Gives the staff entries stored before `staffLogin` existed their login, at start. A login id
   * two entries share (registered before it was refused) stays with the first one; the other is
   * logged for the administrators to correct, by id only, and cannot log in until then.
   */
  backfillLogins(logger: { error: (o: object, msg: string) => void }): Promise<{ written: number; shared: number }> {
    return backfillUniqueKey(this.collection as never, {
      field: STAFF_LOGIN,
      owners: { kind: 'staff', externalId: { $exists: true } },
      projection: { kind: 1, externalId: 1 },
      keyOf: (p: Person) => loginOf(p).staffLogin!,
      onShared: (p, heldBy) => logger.error({ personId: p._id, loginHeldBy: heldBy }, 'identity: two staff entries share a login id; the first keeps it, this one cannot log in until an administrator gives it its own (PATCH /admin/persons/{personId})'),
    });
  }

  /** Every entry of one kind, for the retention sweep (equality only: FerretDB pushes it down). */
  allOfKind(kind: Person['kind']): Promise<Stored<Pick<Person, 'kind' | 'municipalityId' | 'birthYear' | 'birthMonth' | 'registeredAt' | 'unlinkedAt' | 'retentionSeenAt'> & { hasPending?: boolean }>[]> {
    // Neither names nor the sealed CPR number: the sweep decides on dates alone.
    return this.collection.find({ kind }, { projection: RETENTION_FIELDS }).toArray() as never;
  }

  /** Whether the entry still has events the relay has not published (its registration, just now). */
  async hasUnpublished(id: string): Promise<boolean> {
    return (await this.collection.findOne({ _id: id, hasPending: true } as never, { projection: { _id: 1 } })) !== null;
  }

  /** Starts a parent's retention clock: the last child it linked left the directory. No event: nothing outside identity keeps it. */
  async markUnlinked(id: string, at: Date): Promise<void> {
    await this.collection.updateOne({ _id: id, kind: 'parent' }, { $set: { unlinkedAt: at } });
  }

  /**
   * Starts the clock of a parent's entry that has none (registered before `registeredAt`
   * existed, never linked): from `at`, once. No event, as with `markUnlinked`.
   */
  async markSeenByRetention(id: string, at: Date): Promise<void> {
    await this.collection.updateOne({ _id: id, kind: 'parent', registeredAt: { $exists: false }, unlinkedAt: { $exists: false }, retentionSeenAt: { $exists: false } } as never, { $set: { retentionSeenAt: at } });
  }

  /**
   * Deletes an entry whose retention ran out; deleting it again finds nothing. An entry with
   * events still waiting for the relay stays (deleting it would lose them): the sweep tries again.
   * Under the lock the entry's writers take, so a save cannot slip events in before the delete.
   */
  remove(id: string): Promise<void> {
    return deletePublished(this.collection as never, { _id: id } as never, `person ${id}`, { locks: this.locks, lockKey: (docId) => this.store.lockKey(String(docId)) });
  }

  async register(id: string, person: Person): Promise<Stored<Person>> {
    const existing = await this.findByCprHash(person.cprHash);
    // The id only of one's own municipality's entry: another municipality's is not for this administrator to open.
    if (existing) throw conflict('PERSON_EXISTS', `a person with this CPR number is registered already${existing.municipalityId === person.municipalityId ? `: ${existing._id}` : ''}`);
    const login = loginOf(person).staffLogin;
    const holder = login ? await this.findStaffByExternalId(login) : null;
    if (login && holder) throw loginTaken(login, loginHolder(holder, person.municipalityId));
    const event = this.factory.create(PERSON_REGISTERED, {
      subject: id,
      municipalityId: person.municipalityId,
      aggregateVersion: 1,
      data: { personId: id, kind: person.kind, birthYear: person.birthYear, birthMonth: person.birthMonth },
    });
    try {
      // registeredAt: no retention clock starts before the entry existed (domain/person-retention.ts).
      return await this.store.create(id, { ...person, registeredAt: new Date(), ...loginOf(person) }, [event]);
    } catch (error) {
      // Two registrations of one CPR number (or one login id) at once: the unique index lets one win.
      if (isAppError(error, 'ALREADY_EXISTS')) throw (await this.findByCprHash(person.cprHash)) || !login ? conflict('PERSON_EXISTS', 'a person with this CPR number is registered already') : loginTaken(login);
      throw error;
    }
  }
}

/**
 * Who has a login id, as told to an administrator of `municipalityId`: their own municipality's
 * staff member by id, another municipality's by no id (not theirs to open).
 */
export function loginHolder(holder: { _id: string; municipalityId: string } | null | undefined, municipalityId: string): string {
  if (!holder) return 'another staff member';
  return holder.municipalityId === municipalityId ? `staff member ${holder._id}` : 'a staff member in another municipality';
}

/** 409 for a login id another staff member has: the same answer from every route that sets one. */
export function loginTaken(externalId: string, holder = 'another staff member') {
  return conflict('EXTERNAL_ID_TAKEN', `externalId ${externalId} is the login of ${holder} already`);
}
