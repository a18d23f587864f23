// DirectoryArchive on a volume shared by several replicas (the chart's ReadWriteMany archive):
// node is PID 1 in every container, so anything named after the process id is the same name in
// every replica. Two sweeps archiving the same record at once must each leave a whole package,
// and no package ever replaces another: record ids are reused, and an earlier disposal's
// reference must go on leading to the package it names.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryArchive, type ArchivePackage } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spor-archive-shared-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pkg = (recordId: string, replica: string, size: number): ArchivePackage => ({
  service: 'assessments',
  kind: 'assessment',
  recordId,
  municipalityId: 'm-1',
  publicRecord: false,
  retainedFrom: '2026-01-01T00:00:00.000Z',
  expiredOn: '2029-01-01T00:00:00.000Z',
  archivedAt: new Date().toISOString(),
  record: { replica, notes: 'x'.repeat(size) },
});

/** The package a reference leads to, checked against the SHA-256 the reference names. */
async function packageOf(ref: string): Promise<ArchivePackage> {
  const [path, sha256] = ref.replace(/^file:/, '').split('#sha256=');
  const stored = JSON.parse(await readFile(path!, 'utf8')) as { sha256: string; package: ArchivePackage };
  expect(stored.sha256).toBe(createHash('sha256').update(JSON.stringify(stored.package, null, 2)).digest('hex'));
  expect(stored.sha256).toBe(sha256);
  return stored.package;
}

test('two replicas (the same process id) archiving the same record at once both succeed, each package whole in its own file', async () => {
  // Two instances in one process: the same pid, as two containers each running node as PID 1.
  const replicas = [new DirectoryArchive(dir), new DirectoryArchive(dir)];
  for (let round = 0; round < 20; round++) {
    const recordId = `r-${round}`;
    // Packages of different lengths, so bytes of one written over the other would show.
    const refs = await Promise.all([replicas[0]!.archive(pkg(recordId, 'a', 50_000)), replicas[1]!.archive(pkg(recordId, 'b', 10))]);
    for (const ref of refs) expect(ref).toMatch(/^file:.*#sha256=[0-9a-f]{64}$/);
    expect(new Set(refs.map((ref) => ref.split('#')[0])).size).toBe(2);
    expect(((await packageOf(refs[0]!)).record as { replica: string }).replica).toBe('a');
    expect(((await packageOf(refs[1]!)).record as { replica: string }).replica).toBe('b');
  }
  // No temporary file is left behind.
  expect((await readdir(join(dir, 'assessments', 'm-1', 'assessment'))).filter((f) => !f.endsWith('.json'))).toEqual([]);
});

test('a second package of a record id gets its own file: the first stays as its reference names it; the same package again is the same file', async () => {
  const archive = new DirectoryArchive(dir);
  const first = { ...pkg('again', 'first', 10), archivedAt: '2030-01-31T12:00:00.000Z' };
  const second = { ...pkg('again', 'second', 10), archivedAt: '2033-02-01T12:00:00.000Z' };
  const firstRef = await archive.archive(first);
  // The first keeps the name archives before this one wrote.
  expect(firstRef).toContain(join('assessment', 'again.json#'));
  const secondRef = await archive.archive(second);
  expect(secondRef).not.toBe(firstRef);
  expect(await packageOf(firstRef)).toEqual(first);
  expect(await packageOf(secondRef)).toEqual(second);
  // A call repeated with the very same package (a retry) answers the file already there.
  expect(await archive.archive(second)).toBe(secondRef);
  expect((await readdir(join(dir, 'assessments', 'm-1', 'assessment'))).filter((f) => f.startsWith('again.'))).toHaveLength(2);
  // A third package under a name that is taken is refused, and nothing is replaced.
  const clash = { ...pkg('again', 'third', 10), archivedAt: second.archivedAt };
  await expect(archive.archive(clash)).rejects.toThrow(/none is replaced/);
  expect(await packageOf(firstRef)).toEqual(first);
  expect(await packageOf(secondRef)).toEqual(second);
  expect((await readdir(join(dir, 'assessments', 'm-1', 'assessment'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

test('a package that cannot be put in place fails the call and leaves no temporary file behind', async () => {
  const folder = join(dir, 'assessments', 'm-1', 'assessment');
  await mkdir(join(folder, 'blocked.json'), { recursive: true }); // the rename onto a directory fails
  await expect(new DirectoryArchive(dir).archive(pkg('blocked', 'a', 10))).rejects.toThrow();
  expect((await readdir(folder)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});
