// DirectoryArchive on a volume shared by several replicas (the chart's ReadWriteMany archive):
// node is PID 1 in every container, so anything named after the process id is the same name in
// every replica. Two sweeps archiving the same record at once must still leave one whole package.
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

test('two replicas (the same process id) archiving the same record at once both succeed and leave one whole package', async () => {
  // Two instances in one process: the same pid, as two containers each running node as PID 1.
  const replicas = [new DirectoryArchive(dir), new DirectoryArchive(dir)];
  for (let round = 0; round < 20; round++) {
    const recordId = `r-${round}`;
    // Packages of different lengths, so bytes of one written over the other would show.
    const refs = await Promise.all([replicas[0]!.archive(pkg(recordId, 'a', 50_000)), replicas[1]!.archive(pkg(recordId, 'b', 10))]);
    for (const ref of refs) expect(ref).toMatch(/^file:.*#sha256=[0-9a-f]{64}$/);
    const path = join(dir, 'assessments', 'm-1', 'assessment', `${recordId}.json`);
    const stored = JSON.parse(await readFile(path, 'utf8')) as { sha256: string; package: ArchivePackage };
    expect(stored.sha256).toBe(createHash('sha256').update(JSON.stringify(stored.package, null, 2)).digest('hex'));
    expect(refs.map((ref) => ref.split('#sha256=')[1])).toContain(stored.sha256);
  }
  // No temporary file is left behind.
  expect((await readdir(join(dir, 'assessments', 'm-1', 'assessment'))).filter((f) => !f.endsWith('.json'))).toEqual([]);
});

test('a package that cannot be put in place fails the call and leaves no temporary file behind', async () => {
  const folder = join(dir, 'assessments', 'm-1', 'assessment');
  await mkdir(join(folder, 'blocked.json'), { recursive: true }); // the rename onto a directory fails
  await expect(new DirectoryArchive(dir).archive(pkg('blocked', 'a', 10))).rejects.toThrow();
  expect((await readdir(folder)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});
