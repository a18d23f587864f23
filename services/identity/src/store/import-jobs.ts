// Imports as durable jobs: the validated file is kept sealed (it holds CPR numbers) while it
// is applied, so a process that dies half-way finishes the job when it starts again. A job's
// id is the hash of municipality and file, so sending the same file again is answered from
// the finished job without writing anything.
import type { Collection } from 'mongodb';
import { isDuplicateKeyError } from '@spor/mongo';

export interface ImportCounts {
  units: { created: number; unchanged: number };
  persons: { created: number; unchanged: number };
  memberships: { created: number; unchanged: number };
  guardianships: { created: number; unchanged: number };
}

export interface ImportJob {
  _id: string;
  municipalityId: string;
  actor: string;
  status: 'applying' | 'done';
  sealedFile?: string;
  startedAt: Date;
  finishedAt?: Date;
  counts?: ImportCounts;
}

export class ImportJobs {
  constructor(private readonly collection: Collection<ImportJob>) {}

  get(id: string): Promise<ImportJob | null> {
    return this.collection.findOne({ _id: id });
  }

  /** Starts a job; false when one with this id exists already (running or done). */
  async start(job: Omit<ImportJob, 'status' | 'startedAt'>): Promise<boolean> {
    try {
      await this.collection.insertOne({ ...job, status: 'applying', startedAt: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Marks a job done and drops the sealed file: nothing with CPR numbers outlives the import. */
  async finish(id: string, counts: ImportCounts): Promise<void> {
    await this.collection.updateOne({ _id: id }, { $set: { status: 'done', finishedAt: new Date(), counts }, $unset: { sealedFile: '' } });
  }

  unfinished(): Promise<ImportJob[]> {
    return this.collection.find({ status: 'applying' }).toArray();
  }
}
