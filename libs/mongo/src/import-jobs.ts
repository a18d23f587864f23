// Imports from municipal IT as durable jobs: the checked file (its `payload`) is kept while it
// is applied, so a process that dies half-way finishes the job when it starts again; then the
// payload is dropped. A job's id is the hash of municipality and file, so the same file sent
// again is answered from the finished job without writing anything.
import type { Collection, Filter, OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKeyError } from './connection.js';

export interface ImportJob<P, C> {
  _id: string;
  municipalityId: string;
  actor: string;
  status: 'applying' | 'done';
  /** What is needed to finish the import; absent once it is done. */
  payload?: P;
  startedAt: Date;
  finishedAt?: Date;
  counts?: C;
}

export class ImportJobs<P, C> {
  constructor(private readonly collection: Collection<ImportJob<P, C>>) {}

  get(id: string): Promise<ImportJob<P, C> | null> {
    return this.collection.findOne({ _id: id } as Filter<ImportJob<P, C>>) as Promise<ImportJob<P, C> | null>;
  }

  /** Starts a job; false when one with this id exists already (running or done). */
  async start(job: { _id: string; municipalityId: string; actor: string; payload: P }): Promise<boolean> {
    try {
      await this.collection.insertOne({ ...job, status: 'applying', startedAt: new Date() } as OptionalUnlessRequiredId<ImportJob<P, C>>);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /**
   * Marks a job done and drops its payload: nothing it held outlives the import. Only once: a
   * second run of a job (a resume racing the first) does not overwrite the first run's counts.
   */
  async finish(id: string, counts: C): Promise<void> {
    await this.collection.updateOne({ _id: id, status: 'applying' } as Filter<ImportJob<P, C>>, { $set: { status: 'done', finishedAt: new Date(), counts }, $unset: { payload: '' } } as never);
  }

  unfinished(): Promise<ImportJob<P, C>[]> {
    return this.collection.find({ status: 'applying' } as Filter<ImportJob<P, C>>).toArray() as Promise<ImportJob<P, C>[]>;
  }
}
