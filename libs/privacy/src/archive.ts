// The archiving hook: what happens to a record before it may be deleted. Public records must
// reach the national archives (Rigsarkivet) first; a municipality plugs in its own delivery
// (an archive package for its archive system). The default writes one JSON package per record
// into a configured directory and answers only once the file is safely on disk, so the sweep
// never deletes what was not written.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface ArchivePackage {
  service: string;
  kind: string;
  recordId: string;
  municipalityId: string;
  childId?: string;
  publicRecord: boolean;
  retainedFrom: string;
  expiredOn: string;
  archivedAt: string;
  /** The record, when its kind keeps it (public records); else only its fingerprint. */
  record?: unknown;
  recordSha256?: string;
}

export interface ArchiveHook {
  /** Keeps the package; answers a reference to it. Throws if it could not: the record then stays. */
  archive(pkg: ArchivePackage): Promise<string>;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

export class DirectoryArchive implements ArchiveHook {
  constructor(private readonly directory: string) {}

  async archive(pkg: ArchivePackage): Promise<string> {
    const body = JSON.stringify(pkg, null, 2);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const path = join(this.directory, safe(pkg.service), safe(pkg.municipalityId), safe(pkg.kind), `${safe(pkg.recordId)}.json`);
    await mkdir(dirname(path), { recursive: true });
    // Written to a temporary name, flushed, then renamed: a crash leaves no half package under the real name.
    // The name is this call's own: on a volume shared by replicas (the chart's ReadWriteMany archive)
    // every container's node is PID 1, and two sweeps archiving the same record at once must not
    // write into one file. The last rename wins, and each is a whole package.
    const temporary = `${path}.${randomUUID()}.tmp`;
    const file = await open(temporary, 'wx');
    try {
      try {
        await file.writeFile(JSON.stringify({ sha256, package: pkg }, null, 2));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
    } catch (error) {
      // A full or failing volume leaves no stray temporary (each attempt has its own name).
      await rm(temporary, { force: true });
      throw error;
    }
    return `file:${path}#sha256=${sha256}`;
  }
}
