// npm run privacy:export -- --child <uuid> --out <dir> --service action-plans=http://127.0.0.1:8083 [--service ...]
// Composes the data-subject access export of one child from every named service, as the
// data-protection officer whose access token is in SPOR_TOKEN. Writes <child>.json and
// <child>.html into --out. Exit 1 when a service did not answer (the files are still written).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { composeExport, exportToHtml } from './export-composer.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { child: { type: 'string' }, out: { type: 'string', default: '.' }, service: { type: 'string', multiple: true } } });
  const token = process.env.SPOR_TOKEN;
  if (!values.child || !values.service?.length || !token) {
    console.error('usage: SPOR_TOKEN=<dpo access token> npm run privacy:export -- --child <uuid> --out <dir> --service <name>=<url> [...]');
    return 64;
  }
  const services = values.service.map((s) => {
    const at = s.indexOf('=');
    return { service: s.slice(0, at), url: s.slice(at + 1).replace(/\/$/, '') };
  });
  const composed = await composeExport({ childId: values.child, services, authorization: `Bearer ${token}` });
  await mkdir(values.out!, { recursive: true });
  await writeFile(join(values.out!, `${values.child}.json`), JSON.stringify(composed, null, 2));
  await writeFile(join(values.out!, `${values.child}.html`), exportToHtml(composed));
  for (const m of composed.missing) console.error(`${m.service} did not answer: ${m.status} ${m.detail}`);
  return composed.missing.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`privacy:export failed: ${(error as Error)?.stack ?? String(error)}`);
    process.exit(2);
  },
);
