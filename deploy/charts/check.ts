// npm run charts:check: helm lint, helm template with the chart's defaults and with each example
// values file, and every rendered manifest validated offline: the Kubernetes API's own kinds by
// kubernetes-validate (which bundles the API schemas), the custom resources (Strimzi KafkaTopic,
// ServiceMonitor) by deploy/charts/validate-crds.py against crd-schemas/. Also checks that the
// chart's values.yaml alone is refused, naming what an operator must provide: nothing
// environment-specific has a default.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { KUBE_VERSION, exampleValues, helmLint, renderError, renderText, requiredValues, validatorBinary, type RenderOptions } from './tools.js';

interface Run extends RenderOptions {
  name: string;
}

const runs: Run[] = [
  { name: 'defaults', valuesFiles: [requiredValues] },
  { name: 'defaults, every switch on', valuesFiles: [requiredValues], set: { 'kafkaTopics.strimzi.enabled': 'true', 'serviceMonitor.enabled': 'true', 'archive.persistentVolumeClaim.create': 'true' } },
  ...exampleValues.map((file) => ({ name: basename(file), valuesFiles: [file] })),
];

const work = mkdtempSync(join(tmpdir(), 'spor-charts-check-'));
const failures: string[] = [];

function run(command: string, args: string[]): { status: number; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}`.trim() };
}

try {
  const validator = validatorBinary();
  const python = join(dirname(validator), 'python');
  for (const [index, r] of runs.entries()) {
    console.log(`== ${r.name}`);
    if (!r.set) {
      try {
        helmLint(r);
        console.log('helm lint: passed');
      } catch (error) {
        failures.push(`${r.name}: helm lint: ${(error as { stdout?: string }).stdout ?? (error as Error).message}`);
        continue;
      }
    }
    let text: string;
    try {
      text = renderText(r);
    } catch (error) {
      failures.push(`${r.name}: helm template: ${(error as Error).message}`);
      continue;
    }
    const file = join(work, `${index}.yaml`);
    writeFileSync(file, text);
    const kinds = [...text.matchAll(/^kind: (\S+)$/gm)].map((m) => m[1]);
    console.log(`helm template: ${kinds.length} manifests`);

    const core = run(validator, ['--strict', '--kubernetes-version', KUBE_VERSION, file]);
    // Custom resources are "no schema" warnings here; they are validated just below.
    const lines = core.output.split('\n').filter((line) => line && !/Couldn't find schema for kind (KafkaTopic|ServiceMonitor) /.test(line));
    const bad = lines.filter((line) => !/^INFO .* passed for resource /.test(line));
    if (core.status !== 0 || bad.length > 0) failures.push(`${r.name}: kubernetes-validate ${KUBE_VERSION}:\n${bad.join('\n')}`);
    else console.log(`kubernetes-validate ${KUBE_VERSION} --strict: ${lines.length} valid`);

    const custom = run(python, [join(import.meta.dirname, 'validate-crds.py'), file]);
    if (custom.status !== 0) failures.push(`${r.name}: ${custom.output}`);
    else console.log(custom.output);
    // Every manifest was validated by one of the two, none skipped.
    const customChecked = Number(/custom resources: (\d+) checked/.exec(custom.output)?.[1] ?? 0);
    const validated = lines.filter((line) => /^INFO .* passed for resource /.test(line)).length + customChecked;
    if (validated !== kinds.length) failures.push(`${r.name}: ${kinds.length} manifests rendered but ${validated} validated`);
  }

  console.log('== values.yaml alone (must be refused, naming what is required)');
  const refusal = renderError({});
  const expected = ['brokers', "'/services/identity/keys': missing property 'existingSecret'", "'/ingress': missing property 'host'"];
  const missing = expected.filter((fragment) => !refusal.includes(fragment));
  if (missing.length > 0) failures.push(`values.yaml alone: the refusal does not name ${missing.join(', ')}:\n${refusal}`);
  else console.log('refused, naming the required values');
} catch (error) {
  failures.push((error as Error).message);
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`\ncharts:check failed:\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exit(1);
}
console.log('\ncharts:check passed');
