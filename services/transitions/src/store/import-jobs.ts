// transitions' enrollment imports as jobs of the shared kind (libs/mongo): the payload is the
// checked rows, with pseudonymous ids only (no CPR number).
import type { Db } from 'mongodb';
import { ImportJobs as Jobs } from '@spor/mongo';
import type { ResolvedRow } from '../domain/enrollment-import.js';

export type ImportJobs = Jobs<ResolvedRow[], { created: number; unchanged: number }>;

export const openImportJobs = (db: Db): ImportJobs => new Jobs(db.collection('import_jobs'));
