// transitions' enrollment imports as jobs of the shared kind (libs/mongo): the payload is the
// checked rows, with pseudonymous ids only (no CPR number).
import type { Db } from 'mongodb';
import { ImportJobs as Jobs } from '@spor/mongo';
import type { RoleGrant } from '@spor/auth';
import type { ResolvedRow } from '../domain/enrollment-import.js';

/** The checked rows and the importer's roles (for the audit trail of a resumed job); a job stored before it kept the rows alone. */
export type ImportPayload = { rows: ResolvedRow[]; roles: RoleGrant[] } | ResolvedRow[];
export type ImportJobs = Jobs<ImportPayload, { created: number; unchanged: number }>;

export const openImportJobs = (db: Db): ImportJobs => new Jobs(db.collection('import_jobs'));
