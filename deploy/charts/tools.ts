// Rendering the chart with helm, shared by `npm run charts:check` and the chart's jest test.
// helm and kubernetes-validate are installed outside the clone (.ci/run does it):
// ~/.cache/spor/bin/helm and ~/.cache/spor/kubernetes-validate-venv, or anywhere on PATH.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const chartDir = join(repoRoot, 'charts', 'spor');
/** The chart's defaults plus placeholders for what the schema requires (see values.yaml). */
export const requiredValues = join(chartDir, 'ci', 'required-values.yaml');
export const exampleValues = ['values-test.yaml', 'values-production.yaml'].map((file) => join(repoRoot, 'deploy', file));
/** The Kubernetes version manifests are rendered for and validated against. */
export const KUBE_VERSION = '1.37.0';
export const HELM_VERSION = 'v3.22.0';
export const KUBERNETES_VALIDATE_VERSION = '1.37.0';

const cacheDir = process.env.SPOR_CACHE_DIR ?? join(homedir(), '.cache', 'spor');

function findTool(name: string, candidates: string[], install: string): string {
  const onPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name));
  const found = [...candidates, ...onPath].find((path) => existsSync(path));
  if (!found) throw new Error(`${name} was not found in ${candidates.join(', ')} nor on PATH; install it with: ${install}`);
  return found;
}

export function helmBinary(): string {
  return findTool('helm', [join(cacheDir, 'bin', 'helm')], `GOBIN=${join(cacheDir, 'bin')} go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`);
}

export function validatorBinary(): string {
  const venv = join(cacheDir, 'kubernetes-validate-venv');
  return findTool('kubernetes-validate', [join(venv, 'bin', 'kubernetes-validate')], `python3 -m venv ${venv} && ${venv}/bin/pip install kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`);
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export interface RenderOptions {
  valuesFiles?: string[];
  set?: Record<string, string>;
  release?: string;
  /** Another copy of the chart (renderNotes); default chartDir. */
  chart?: string;
}

function templateArgs(options: RenderOptions): string[] {
  return [
    'template',
    options.release ?? 'spor',
    options.chart ?? chartDir,
    '--kube-version',
    KUBE_VERSION,
    ...(options.valuesFiles ?? []).flatMap((file) => ['-f', file]),
    ...Object.entries(options.set ?? {}).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
  ];
}

/** `helm template` output as text; a refusal (schema, `fail`) throws with helm's message. */
export function renderText(options: RenderOptions = {}): string {
  const result = spawnSync(helmBinary(), templateArgs(options), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(result.stderr.trim() || `helm template exited ${result.status}`);
  return result.stdout;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

export function render(options: RenderOptions = {}): Manifest[] {
  return parseManifests(renderText(options));
}

/** helm's message when it refuses to render; throws if it renders. */
export function renderError(options: RenderOptions): string {
  try {
    renderText(options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('helm rendered the chart, but a refusal was expected');
}

export function helmLint(options: RenderOptions): string {
  return execFileSync(helmBinary(), ['lint', chartDir, '--strict', '--kube-version', KUBE_VERSION, ...(options.valuesFiles ?? []).flatMap((file) => ['-f', file])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * The chart's NOTES.txt as helm renders it for these values. `helm template` leaves NOTES.txt out
 * and `helm install --dry-run` needs a cluster, so a copy of the chart gets one more template
 * that holds NOTES.txt verbatim as a named template and renders it into a document.
 */
export function renderNotes(options: RenderOptions = {}): string {
  const copy = mkdtempSync(join(tmpdir(), 'spor-chart-notes-'));
  try {
    const chart = join(copy, 'spor');
    cpSync(chartDir, chart, { recursive: true });
    const notes = readFileSync(join(chart, 'templates', 'NOTES.txt'), 'utf8');
    writeFileSync(
      join(chart, 'templates', 'notes-under-test.yaml'),
      `{{- define "spor.notesUnderTest" -}}\n${notes}\n{{- end -}}\nnotes: {{ include "spor.notesUnderTest" . | toJson }}\n`,
    );
    const text = renderText({ ...options, chart }).split(/^---$/m).find((doc) => doc.includes('notes-under-test.yaml'));
    if (!text) throw new Error('the notes were not rendered');
    return (parse(text) as { notes: string }).notes;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
