// The archiving hook: what happens to a record before it may be deleted. Public records must
// reach the national archives (Rigsarkivet) first; a municipality plugs in its own delivery
// (an archive package for its archive system). The default writes one JSON package per record
// into a configured directory and answers only once the file is safely on disk, so the sweep
// never deletes what was not written.
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

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

/** Errors of a volume that has no hard links (Azure Files over SMB, say): the package is then placed by rename. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Puts `temporary` in place under `path` unless something is there already: answers false then,
 * and nothing is replaced. A hard link is atomic about that; a volume without hard links falls
 * back to looking first, which only two sweeps in the same millisecond could slip past (the sweep
 * lease keeps replicas apart).
 */
async function placeWithoutReplacing(temporary: string, path: string): Promise<boolean> {
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (!code || !NO_HARD_LINKS.has(code)) throw error;
  }
  try {
    await stat(path);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(temporary, path);
  return true;
}

export class DirectoryArchive implements ArchiveHook {
  constructor(private readonly directory: string) {}

  /**
   * Writes `<kind>/<recordId>.json`; a record id archived before (ids are reused by design: a
   * consent asked for again, a child's enrollment, a test result imported again) gets
   * `<kind>/<recordId>.<archivedAt>.json`. A package is never replaced: the reference an earlier
   * disposal keeps must go on leading to the package it names. The same package written again (a
   * retried call) answers the file already there.
   */
  async archive(pkg: ArchivePackage): Promise<string> {
    const sha256 = createHash('sha256').update(JSON.stringify(pkg, null, 2)).digest('hex');
    const text = JSON.stringify({ sha256, package: pkg }, null, 2);
    const folder = join(this.directory, safe(pkg.service), safe(pkg.municipalityId), safe(pkg.kind));
    const names = [`${safe(pkg.recordId)}.json`, `${safe(pkg.recordId)}.${safe(pkg.archivedAt)}.json`];
    await mkdir(folder, { recursive: true });
    // Written to a temporary name, flushed, then put in place: a crash leaves no half package under
    // the real name. The name is this call's own: on a volume shared by replicas (the chart's
    // ReadWriteMany archive) every container's node is PID 1, and two calls must not write into one file.
    const temporary = join(folder, `${names[0]}.${randomUUID()}.tmp`);
    const file = await open(temporary, 'wx');
    try {
      try {
        await file.writeFile(text);
        await file.sync();
      } finally {
        await file.close();
      }
      for (const name of names) {
        const path = join(folder, name);
        if (await placeWithoutReplacing(temporary, path)) return `file:${path}#sha256=${sha256}`;
        if ((await readFile(path, 'utf8')) === text) return `file:${path}#sha256=${sha256}`;
      }
      throw new Error(`the archive holds other packages under ${names.join(' and ')} in ${folder}; none is replaced, and the record is kept`);
    } finally {
      // Placed by a link, or refused: the temporary name goes (each attempt has its own name).
      await rm(temporary, { force: true });
    }
  }
}
