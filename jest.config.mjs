// The one jest configuration of the repository. Every workspace is a project here;
// `npm test -w libs/<name>` selects its project. Sources are ESM TypeScript compiled
// by ts-jest (jose and openid-client are ESM-only), so jest runs with --experimental-vm-modules.
import { randomBytes } from 'node:crypto';
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// Workspaces are found relative to this file, so `npm test -w <workspace>` (run in its folder) sees them too.
const root = fileURLToPath(new URL('.', import.meta.url));

// Every test run gets topics of its own (`test-<run>.spor....`; libs/events naming.ts), set here
// in jest's main process so its workers and whatever they start inherit it. Without it each run
// added to the same topics on a long-lived local broker, and every service a test starts with a
// fresh consumer group replays them from the start: a few runs later the projections' catch-up
// outgrew the tests' waits. It also keeps test events off the topics `npm start` uses. The run's
// topics are deleted when it ends (test/setup/delete-run-topics.mjs).
if (!process.env.SPOR_TOPIC_NAMESPACE) {
  process.env.SPOR_TOPIC_NAMESPACE = `test-${randomBytes(4).toString('hex')}`;
  // Only topics this run named are deleted at its end, never those of a namespace set by the caller.
  process.env.SPOR_TEST_RUN_TOPICS = process.env.SPOR_TOPIC_NAMESPACE;
}

// ts-jest in transpile-only mode (isolated modules): type checking is `npm run typecheck`.
// (swc would be faster, but its platform packages are not all served by the registry this
// project installs from, which leaves package-lock.json unusable for `npm ci`.)
const tsJest = ['ts-jest', { useESM: true, tsconfig: join(root, 'tsconfig.jest.json') }];

const common = {
  testEnvironment: 'node',
  // Resolve workspace packages to their TypeScript sources, not to dist/.
  testEnvironmentOptions: { customExportConditions: ['spor-source', 'node', 'node-addons'] },
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Every HTTP exchange the tests make is checked against the service's OpenAPI document.
  setupFiles: [join(root, 'test/setup/contract-env.cjs')],
  setupFilesAfterEnv: [join(root, 'test/setup/contract-check.cjs')],
};

const workspaces = ['libs', 'services']
  .flatMap((dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((name) => `${dir}/${name}`) : []))
  .filter((path) => existsSync(join(root, path, 'package.json')) && existsSync(join(root, path, 'test')));

export default {
  rootDir: root,
  // A hook that starts several services and waits for their projections (testkit's WAIT_FOR_MS) needs room for both.
  testTimeout: 120_000,
  maxWorkers: 2,
  globalTeardown: join(root, 'test/setup/delete-run-topics.mjs'),
  projects: [
    ...workspaces.map((path) => ({
      ...common,
      displayName: path.split('/')[1],
      testMatch: [`<rootDir>/${path}/test/**/*.test.ts`],
    })),
    {
      ...common,
      displayName: 'suite',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
    },
  ],
};
