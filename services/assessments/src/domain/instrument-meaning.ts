// What an instrument definition means, checked before it is published (the JSON Schema checks
// only its shape). A published version never changes, so a definition that would score some
// children into no category, or count a colour as a number, must be refused here, naming where.
import { categoryFor, type Category, type InstrumentDefinition, type Item, type ScoringRule, type Section } from './instrument.js';
import { CONCERN_CATEGORY, WELLBEING_INSTRUMENT } from './assessment.js';

const CHOICE = new Set(['single', 'multiple']);
/** Bounds of a scored number: far beyond any test score, far below where sums lose precision. */
const MAX_NUMBER = 1_000_000_000;

/** Whether an item can be answered with `value` as text: a colour, an option, true or false, a scale's step. */
function canTake(i: Item, value: string): boolean {
  if (i.type === 'traffic-light') return ['green', 'yellow', 'red'].includes(value);
  if (i.type === 'yes-no') return value === 'true' || value === 'false';
  if (CHOICE.has(i.type)) return (i.options ?? []).some((o) => o.value === value);
  if (i.type === 'scale') {
    const step = Number(value);
    return String(step) === value && Number.isInteger(step) && step >= (i.min ?? 0) && step <= (i.max ?? 0);
  }
  return false;
}

/** The lowest and highest score one answered item can add; null for free text (never scored). */
function itemRange(item: Item): { lo: number; hi: number; whole: boolean } | null {
  switch (item.type) {
    case 'scale':
      return { lo: item.min ?? 0, hi: item.max ?? 0, whole: true };
    case 'number':
      return { lo: item.min ?? 0, hi: item.max ?? 0, whole: false };
    case 'single': {
      const scores = (item.options ?? []).map((o) => o.score ?? 0);
      return scores.length === 0 ? null : { lo: Math.min(...scores), hi: Math.max(...scores), whole: scores.every(Number.isInteger) };
    }
    case 'multiple': {
      // An answered multiple choice has at least one option (an empty list is no answer).
      const scores = (item.options ?? []).map((o) => o.score ?? 0);
      if (scores.length === 0) return null;
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const negatives = scores.filter((s) => s < 0);
      const positives = scores.filter((s) => s > 0);
      return { lo: negatives.length > 0 ? sum(negatives) : Math.min(...scores), hi: positives.length > 0 ? sum(positives) : Math.max(...scores), whole: scores.every(Number.isInteger) };
    }
    case 'traffic-light':
      return { lo: 0, hi: 2, whole: true };
    case 'yes-no':
      return { lo: 0, hi: 1, whole: true };
    case 'free-text':
      return null;
  }
}

/** The scores a rule can give its section, and the smallest step between two of them. */
function scoreRange(rule: ScoringRule, section: Section): { lo: number; hi: number; step: number } | null {
  if (rule.method === 'count') return { lo: 0, hi: section.items.filter((i) => i.type !== 'free-text').length, step: 1 };
  const scored = section.items.flatMap((item) => {
    const range = itemRange(item);
    return range ? [{ item, ...range }] : [];
  });
  if (scored.length === 0) return null;
  const whole = scored.every((s) => s.whole);
  if (rule.method === 'sum') {
    // Optional items may be left out, which moves the sum towards 0.
    const lo = scored.reduce((sum, s) => sum + (s.item.required ? s.lo : Math.min(0, s.lo)), 0);
    const hi = scored.reduce((sum, s) => sum + (s.item.required ? s.hi : Math.max(0, s.hi)), 0);
    return { lo, hi, step: whole ? 1 : 0 };
  }
  // A mean is rounded to two decimals, as scoring rounds it (so its range is the rounded bounds,
  // on a grid of whole hundredths: a mean of 0.004 scores 0); a max is one item's score.
  const [lo, hi] = [Math.min(...scored.map((s) => s.lo)), Math.max(...scored.map((s) => s.hi))];
  const hundredths = (x: number) => Math.round(x * 100) / 100;
  return rule.method === 'mean' ? { lo: hundredths(lo), hi: hundredths(hi), step: 0.01 } : { lo, hi, step: whole ? 1 : 0 };
}

/** The first score from `lo` to `hi` that no category gives: on the step's grid, or any number when the step is 0. */
function firstGap(categories: Category[], lo: number, hi: number, step: number): string | null {
  const EPS = 1e-9;
  const round = (x: number) => Math.round(x * 100) / 100;
  const bands = categories.map((c) => ({ lo: c.min ?? -Infinity, hi: c.max ?? Infinity })).sort((a, b) => a.lo - b.lo);
  if (step > 0) {
    let next = lo; // the smallest score not yet known to have a category
    for (const band of bands) {
      if (band.hi < next - EPS) continue;
      if (band.lo > next + EPS) break;
      next = band.hi === Infinity ? Infinity : lo + (Math.floor((band.hi - lo) / step + EPS) + 1) * step;
      if (next > hi + EPS) return null;
    }
    return `no category for a score of ${round(next)}`;
  }
  let reach = -Infinity; // every score up to here has a category
  for (const band of bands) {
    const need = reach < lo ? lo : reach;
    if (band.hi < need) continue;
    if (band.lo > need + EPS) break;
    reach = band.hi;
    if (reach >= hi) return null;
  }
  return reach < lo ? `no category for a score of ${round(lo)}` : `no category for a score just above ${round(reach)}`;
}

/**
 * Whether some score the rule can give, at some age, gets category `id` (first match wins).
 * Which category a score gets changes only at the categories' bounds, so the scores tried are
 * the first the rule can give at or after each bound inside the category's own: a handful per
 * category and age, whatever the range (walking every score of a wide range took seconds).
 */
function reachable(def: InstrumentDefinition, rule: ScoringRule, section: Section, id: string): boolean {
  const range = scoreRange(rule, section);
  if (!range) return false;
  const EPS = 1e-9;
  // The first score on the rule's grid at or after x (any score when it has none).
  const onGrid = (x: number) => (range.step > 0 ? range.lo + Math.ceil((x - range.lo) / range.step - EPS) * range.step : x);
  const bounds = rule.categories.flatMap((c) => [c.min, c.max === undefined ? undefined : c.max + (range.step || 0.01)]).filter((b): b is number => b !== undefined);
  for (const target of rule.categories.filter((c) => c.id === id)) {
    const from = Math.max(range.lo, target.min ?? range.lo);
    const to = Math.min(range.hi, target.max ?? range.hi);
    const tried = [from, ...bounds.filter((b) => b > from && b <= to)].map(onGrid).filter((x) => x >= from - EPS && x <= to + EPS);
    for (const age of def.target === 'group' ? [null] : ageSteps(def, rule)) if (tried.some((x) => categoryFor(rule, x, age) === id)) return true;
  }
  return false;
}

/** The ages at which the categories that apply change: each band's first month and the month after its last. */
function ageSteps(def: InstrumentDefinition, rule: ScoringRule): number[] {
  const range = def.ageMonths ?? { min: 0, max: 0 };
  const banded = rule.categories.filter((c) => c.ageMonths);
  if (!def.ageMonths) return banded.length > 0 ? [...new Set(banded.map((c) => c.ageMonths!.min))] : [range.min];
  const ages = new Set([range.min, ...banded.flatMap((c) => [c.ageMonths!.min, c.ageMonths!.max + 1])]);
  return [...ages].filter((a) => a >= range.min && a <= range.max).sort((a, b) => a - b);
}

function ruleProblems(def: InstrumentDefinition, rule: ScoringRule, section: Section): string[] {
  const at = `scoring.${rule.section}`;
  const problems: string[] = [];
  for (const c of rule.categories) {
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) problems.push(`${at}.${c.id}: min ${c.min} is above max ${c.max}`);
    if (c.ageMonths && c.ageMonths.min > c.ageMonths.max) problems.push(`${at}.${c.id}: the age band ends before it begins`);
    if (c.ageMonths && def.target === 'group') problems.push(`${at}.${c.id}: a group has no age; age bands are for child instruments`);
    if (c.ageMonths && def.target === 'child' && !def.ageMonths) problems.push(`${at}.${c.id}: age bands need the instrument's age range (ageMonths), so that every child it is used for is in a band`);
    if (c.ageMonths && def.ageMonths && (c.ageMonths.max < def.ageMonths.min || c.ageMonths.min > def.ageMonths.max)) problems.push(`${at}.${c.id}: the age band is outside the instrument's ages (${def.ageMonths.min} to ${def.ageMonths.max} months)`);
  }
  if (section.parents) problems.push(`${at}: the parents' part is not scored (their answers are shown, not scored)`);
  // Without bounds a number can be so large that a sum becomes infinite, or a mean means nothing.
  if (rule.method !== 'count') {
    for (const item of section.items.filter((i) => i.type === 'number')) {
      if (item.min === undefined || item.max === undefined || Math.abs(item.min) > MAX_NUMBER || Math.abs(item.max) > MAX_NUMBER) problems.push(`items.${item.id}: a scored number needs min and max within ±${MAX_NUMBER}`);
    }
  }
  if (rule.method === 'count') {
    if (rule.countValue !== undefined && !section.items.some((i) => canTake(i, rule.countValue!))) problems.push(`${at}: no item in the section can be answered ${rule.countValue}`);
  } else {
    if (!section.items.some((i) => i.type !== 'free-text')) problems.push(`${at}: the section has nothing to ${rule.method} (only free text)`);
    // Items that can only add 0 (choices kept for the record, like concern areas) mix with anything.
    const adding = section.items.filter((i) => {
      const range = itemRange(i);
      return range !== null && (range.lo !== 0 || range.hi !== 0);
    });
    const types = new Set(adding.map((i) => (i.type === 'traffic-light' ? 'traffic-light' : 'number')));
    if (types.size > 1) problems.push(`${at}: a ${rule.method} mixes traffic lights with numbers; score them in sections of their own`);
  }
  if (problems.length > 0) return problems;
  // Every score the rule can give, at every age the instrument is for, falls in a category.
  const range = scoreRange(rule, section);
  if (!range) return problems;
  for (const age of def.target === 'group' ? [null] : ageSteps(def, rule)) {
    const applies = rule.categories.filter((c) => !c.ageMonths || (age !== null && age >= c.ageMonths.min && age <= c.ageMonths.max));
    const gap = applies.length === 0 ? 'no category applies' : firstGap(applies, range.lo, range.hi, range.step);
    if (gap) {
      problems.push(`${at}: ${gap}${age !== null && rule.categories.some((c) => c.ageMonths) ? ` at ${age} months` : ''}`);
      break;
    }
  }
  return problems;
}

/** A condition names another item of the same part, by values it can take. */
function conditionProblems(def: InstrumentDefinition, item: Item): string[] {
  const at = `items.${item.id}.requiredWhen`;
  const { item: id, values } = item.requiredWhen!;
  if (item.required) return [`${at}: the item is required always`];
  const partOf = (itemId: string) => def.sections.find((s) => s.items.some((i) => i.id === itemId));
  const other = def.sections.flatMap((s) => s.items).find((i) => i.id === id);
  if (!other || id === item.id) return [`${at}: no other item ${id}`];
  if (!!partOf(id)?.parents !== !!partOf(item.id)?.parents) return [`${at}: ${id} is answered in the other part (staff's or the parents')`];
  const unknown = values.filter((v) => !canTake(other, v));
  return unknown.length > 0 ? [`${at}: ${id} cannot be answered ${unknown.join(', ')}`] : [];
}

const reachableIn = (def: InstrumentDefinition, rule: ScoringRule, id: string) => {
  const section = def.sections.find((s) => s.id === rule.section);
  return !!section && rule.categories.some((c) => c.id === id) && reachable(def, rule, section, id);
};

/** Problems with a definition's meaning beyond its shape, each naming where. */
export function meaningProblems(def: InstrumentDefinition): string[] {
  const problems: string[] = [];
  const sections = def.sections;
  const items = sections.flatMap((s) => s.items);
  const sectionIds = sections.map((s) => s.id);
  const itemIds = items.map((i) => i.id);
  for (const id of new Set(sectionIds)) if (sectionIds.filter((x) => x === id).length > 1) problems.push(`sections: the id ${id} is used twice`);
  for (const id of new Set(itemIds)) if (itemIds.filter((x) => x === id).length > 1) problems.push(`items: the id ${id} is used twice`);
  for (const item of items) {
    const at = `items.${item.id}`;
    if (CHOICE.has(item.type) && !item.options?.length) problems.push(`${at}: a ${item.type} item needs options`);
    if (!CHOICE.has(item.type) && item.options) problems.push(`${at}: only single and multiple choice items have options`);
    const values = (item.options ?? []).map((o) => o.value);
    for (const v of new Set(values)) if (values.filter((x) => x === v).length > 1) problems.push(`${at}: the option ${v} is there twice`);
    if (item.type === 'scale' && (item.min === undefined || item.max === undefined || item.min >= item.max)) problems.push(`${at}: a scale needs min < max`);
    else if (item.type === 'scale' && (!Number.isInteger(item.min) || !Number.isInteger(item.max))) problems.push(`${at}: a scale's steps are whole numbers`);
    // As for numbers: beyond this a mean or a sum of scores is no longer a number worth a category.
    if (item.type === 'scale' && [item.min, item.max].some((b) => b !== undefined && Math.abs(b) > MAX_NUMBER)) problems.push(`${at}: a scale's min and max are within ±${MAX_NUMBER}`);
    if ((item.options ?? []).some((o) => o.score !== undefined && Math.abs(o.score) > MAX_NUMBER)) problems.push(`${at}: an option's score is within ±${MAX_NUMBER}`);
    if (item.type === 'number' && item.min !== undefined && item.max !== undefined && item.min > item.max) problems.push(`${at}: a number needs min <= max`);
    if (!['scale', 'number'].includes(item.type) && (item.min !== undefined || item.max !== undefined)) problems.push(`${at}: only scales and numbers have min and max`);
    if (item.requiredWhen) problems.push(...conditionProblems(def, item));
  }
  const parentsPart = sections.some((s) => s.parents);
  if (def.parentsTakePart && !parentsPart) problems.push('parentsTakePart: there is no section for the parents (parents: true)');
  if (!def.parentsTakePart && parentsPart) problems.push('parentsTakePart: a section is for the parents, but parents do not take part');
  if (def.target === 'group' && def.ageMonths) problems.push('ageMonths: a group instrument has no age range');
  // A group's assessment is shared with no parents, so their part could never be answered.
  if (def.target === 'group' && def.parentsTakePart) problems.push('parentsTakePart: a group has no parents; the parents take part in a child’s assessment');
  // The prompt follows a child's rating (Barnets lov § 133 is about a child): a group version would turn it off.
  if (def.instrumentId === WELLBEING_INSTRUMENT && def.target !== 'child') problems.push(`target: ${WELLBEING_INSTRUMENT} rates a child, whose red rating prompts the team to consider the duty to notify`);
  if (def.ageMonths && def.ageMonths.min > def.ageMonths.max) problems.push('ageMonths: the range ends before it begins');
  // The duty-to-notify prompt (raisesConcern) follows the well-being rating's category `red`:
  // a municipality's own version that renamed it would silently turn the prompt off.
  if (def.instrumentId === WELLBEING_INSTRUMENT && problems.length === 0 && !def.scoring.some((r) => reachableIn(def, r, CONCERN_CATEGORY))) problems.push(`scoring: ${WELLBEING_INSTRUMENT} keeps a category ${CONCERN_CATEGORY} that some rating reaches, which prompts the team to consider the duty to notify (Barnets lov § 133)`);
  if (def.independentRaters && def.target === 'group') problems.push('independentRaters: independent ratings are of a child; a group is assessed once');
  const ruled = def.scoring.map((r) => r.section);
  for (const id of new Set(ruled)) if (ruled.filter((x) => x === id).length > 1) problems.push(`scoring.${id}: the section has two rules`);
  for (const rule of def.scoring) {
    const section = sections.find((s) => s.id === rule.section);
    if (!section) problems.push(`scoring: no section ${rule.section}`);
    if (rule.method === 'count' && rule.countValue === undefined) problems.push(`scoring.${rule.section}: count needs countValue`);
    if (section && (rule.method !== 'count' || rule.countValue !== undefined)) problems.push(...ruleProblems(def, rule, section));
  }
  return problems;
}
