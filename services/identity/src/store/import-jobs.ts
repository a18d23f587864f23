// identity's directory imports as jobs of the shared kind (libs/mongo): the payload is the
// validated file, sealed because it holds CPR numbers.
import type { ImportJobs as Jobs } from '@spor/mongo';

export interface ImportCounts {
  units: { created: number; unchanged: number };
  persons: { created: number; unchanged: number };
  memberships: { created: number; unchanged: number };
  guardianships: { created: number; unchanged: number };
}

/** Jobs whose payload is the sealed file. */
export type ImportJobs = Jobs<string, ImportCounts>;
