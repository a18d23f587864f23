// The topics the code names, found by reading the sources of the services and libraries (not
// a list kept by hand): event-type literals and templates (`dk.spor.<service>.<aggregate>.<verb>.v1`,
// the verb possibly `${...}`), topic literals (`'spor.<service>.<aggregate>.v1'`) and
// `topicFor(<service>, '<aggregate>')` calls with the service given literally or as SERVICE.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const NAME = '[a-z][a-z0-9-]*';
const TYPE = new RegExp(`dk\\.spor\\.(${NAME})\\.(${NAME})\\.(?:${NAME}|\\$\\{[^}]*\\})\\.v([1-9][0-9]*)`, 'g');
const TOPIC = new RegExp(`['"\`]spor\\.(${NAME})\\.(${NAME})\\.v([1-9][0-9]*)['"\`]`, 'g');
const TOPIC_FOR = new RegExp(`topicFor\\(\\s*(?:'(${NAME})'|SERVICE)\\s*,\\s*'(${NAME})'\\s*(?:,\\s*([1-9][0-9]*)\\s*)?\\)`, 'g');
const SERVICE_CONST = new RegExp(`const SERVICE = '(${NAME})'`);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

function sourceRoots(): string[] {
  return ['libs', 'services'].flatMap((group) =>
    readdirSync(join(REPO_ROOT, group))
      .map((name) => join(REPO_ROOT, group, name, 'src'))
      .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory()),
  );
}

/** Every topic the sources name, with the files naming it. */
export function topicsInCode(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (topic: string, file: string) => {
    const files = found.get(topic) ?? [];
    if (!files.includes(file)) files.push(file);
    found.set(topic, files);
  };
  for (const file of sourceRoots().flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    const where = relative(REPO_ROOT, file);
    for (const [, service, aggregate, major] of text.matchAll(TYPE)) add(`spor.${service}.${aggregate}.v${major}`, where);
    for (const [, service, aggregate, major] of text.matchAll(TOPIC)) add(`spor.${service}.${aggregate}.v${major}`, where);
    const serviceConst = SERVICE_CONST.exec(text)?.[1];
    for (const [, literal, aggregate, major] of text.matchAll(TOPIC_FOR)) {
      const service = literal ?? serviceConst;
      if (!service) throw new Error(`${where} calls topicFor(SERVICE, ...) without a literal SERVICE constant`);
      add(`spor.${service}.${aggregate}.v${major ?? 1}`, where);
    }
  }
  return found;
}
