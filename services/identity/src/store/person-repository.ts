// Persons as aggregates: the sealed CPR and its lookup hash live only here.
import type { Collection } from 'mongodb';
import { conflict } from '@spor/service-kit';
import { AggregateStore, WITHOUT_OUTBOX, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import type { Person } from '../domain/person.js';

export const PERSON_REGISTERED = 'dk.spor.identity.person.registered.v1';

export class PersonRepository {
  private readonly store: AggregateStore<Person>;

  constructor(
    private readonly collection: Collection<Stored<Person>>,
    private readonly factory: EventFactory,
    locks: KeyedMutex,
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
    return (await this.collection.findOne({ externalId, kind: 'staff' }, { projection: WITHOUT_OUTBOX })) as Stored<Person> | null;
  }

  /** Saves changed names or login id; events never carry those, so none is published. */
  change(id: string, expectedVersion: number, next: Person): Promise<Stored<Person>> {
    return this.store.save(id, expectedVersion, next, []);
  }

  async register(id: string, person: Person): Promise<Stored<Person>> {
    const existing = await this.findByCprHash(person.cprHash);
    if (existing) throw conflict('PERSON_EXISTS', `a person with this CPR number is registered already: ${existing._id}`);
    const event = this.factory.create(PERSON_REGISTERED, {
      subject: id,
      municipalityId: person.municipalityId,
      aggregateVersion: 1,
      data: { personId: id, kind: person.kind, birthYear: person.birthYear, birthMonth: person.birthMonth },
    });
    try {
      return await this.store.create(id, person, [event]);
    } catch (error) {
      // Two registrations of one CPR number at once: the unique index on cprHash lets one win.
      if ((error as { code?: string }).code === 'ALREADY_EXISTS') throw conflict('PERSON_EXISTS', 'a person with this CPR number is registered already');
      throw error;
    }
  }
}
