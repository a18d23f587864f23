// consent's own view of identity's directory, kept from identity's events: which persons exist
// (kind and municipality), and who holds custody of which child. Applied by version, so a
// replayed or duplicated event changes nothing.
import type { Collection } from 'mongodb';
import { applyVersioned } from '@spor/mongo';
import type { EventHandler } from '@spor/events';

export interface KnownPerson {
  _id: string;
  version: number;
  kind: 'child' | 'parent' | 'staff';
  municipalityId: string;
}

export interface CustodyRecord {
  _id: string;
  version: number;
  parentId: string;
  childId: string;
  custody: boolean;
}

export const PERSON_REGISTERED = 'dk.spor.identity.person.registered.v1';
export const GUARDIANSHIP_REGISTERED = 'dk.spor.identity.guardianship.registered.v1';

export class DirectoryView {
  constructor(
    private readonly persons: Collection<KnownPerson>,
    private readonly custody: Collection<CustodyRecord>,
  ) {}

  async init(): Promise<void> {
    await this.custody.createIndex({ childId: 1 });
    await this.custody.createIndex({ parentId: 1 });
  }

  handlers(): Record<string, EventHandler> {
    return {
      [PERSON_REGISTERED]: async (event) => {
        const data = event.data as { personId: string; kind: KnownPerson['kind'] };
        await applyVersioned(this.persons, data.personId, event.aggregateversion, { $set: { kind: data.kind, municipalityId: event.municipalityid } });
      },
      [GUARDIANSHIP_REGISTERED]: async (event) => {
        const data = event.data as { parentId: string; childId: string; custody: boolean };
        await applyVersioned(this.custody, event.subject, event.aggregateversion, { $set: { parentId: data.parentId, childId: data.childId, custody: data.custody } });
      },
    };
  }

  person(id: string): Promise<KnownPerson | null> {
    return this.persons.findOne({ _id: id });
  }

  async custodyHolders(childId: string): Promise<string[]> {
    return (await this.custody.find({ childId, custody: true }).toArray()).map((r) => r.parentId).sort();
  }

  async childrenInCustody(parentId: string): Promise<string[]> {
    return (await this.custody.find({ parentId, custody: true }).toArray()).map((r) => r.childId);
  }
}
