// Enrollment imports as durable jobs: the checked file is kept as resolved rows (pseudonymous
// ids only, no CPR number) while it is applied, so a process that dies half-way finishes the
// job when it starts again. A job's id is the hash of municipality and file: the same file sent
// again is answered from the finished job.
import type { Collection } from 'mongodb';
import { isDuplicateKeyError } from '@spor/mongo';
import type { ResolvedRow } from '../domain/enrollment-import.js';

export interface ImportJob {
  _id: string;
  municipalityId: string;
  actor: string;
  status: 'applying' | 'done';
  rows: ResolvedRow[];
  startedAt: Date;
  finishedAt?: Date;
  counts?: { created: number; unchanged: number };
}

export class ImportJobs {
  constructor(private readonly collection: Collection<ImportJob>) {}

  get(id: string): Promise<ImportJob | null> {
    return this.collection.findOne({ _id: id });
  }

  async start(job: Omit<ImportJob, 'status' | 'startedAt'>): Promise<boolean> {
    try {
      await this.collection.insertOne({ ...job, status: 'applying', startedAt: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async finish(id: string, counts: ImportJob['counts']): Promise<void> {
    await this.collection.updateOne({ _id: id }, { $set: { status: 'done', finishedAt: new Date(), counts }, $unset: { rows: '' } });
  }

  unfinished(): Promise<ImportJob[]> {
    return this.collection.find({ status: 'applying' }).toArray();
  }
}
