// Instruments are data, not code: sections of items, scoring rules per section, and result
// categories whose thresholds may depend on the child's age in months. A definition is checked
// against instrument.schema.json (shape) and by `meaningProblems` (instrument-meaning.ts) before it is
// published; a published version never changes.

export const ITEM_TYPES = ['scale', 'single', 'multiple', 'traffic-light', 'yes-no', 'number', 'free-text'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];
export const TRAFFIC_LIGHT = ['green', 'yellow', 'red'] as const;
export type TrafficLight = (typeof TRAFFIC_LIGHT)[number];

export interface Option {
  value: string;
  label: string;
  /** What choosing it adds to the section's score; 0 when absent. */
  score?: number;
}

export interface Item {
  id: string;
  text: string;
  type: ItemType;
  required: boolean;
  /** Required at completion when another item of the same part is answered with one of `values` (a colour, an option, true or false). */
  requiredWhen?: { item: string; values: string[] };
  /** scale: the lowest and highest step; number: the allowed range. */
  min?: number;
  max?: number;
  options?: Option[];
}

export interface Section {
  id: string;
  title: string;
  /** Answered by the parents (a parents' part), not by staff. */
  parents?: boolean;
  items: Item[];
}

export interface Category {
  id: string;
  label: string;
  /** The score range (inclusive) that gives this category. */
  min?: number;
  max?: number;
  /** Only for children of this age in months (inclusive); how age bands are expressed. */
  ageMonths?: { min: number; max: number };
}

export interface ScoringRule {
  section: string;
  /** sum, mean or max of the scored items, or how many items were answered with `countValue`. */
  method: 'sum' | 'mean' | 'max' | 'count';
  countValue?: string;
  /** First match wins. */
  categories: Category[];
}

export interface InstrumentDefinition {
  instrumentId: string;
  version: number;
  title: string;
  description: string;
  target: 'child' | 'group';
  institutionTypes: string[];
  ageMonths?: { min: number; max: number };
  parentsTakePart: boolean;
  /** Multi-rater instruments: how many staff rate independently before the joint rating. */
  independentRaters?: number;
  sections: Section[];
  scoring: ScoringRule[];
}

export type Answer = number | string | string[] | boolean;
export type Answers = Record<string, Answer>;

export interface AnswerProblem {
  item: string;
  message: string;
}

/**
 * Whether an item is answered. Own keys only: an item id like `constructor` must not find
 * Object.prototype's. Empty text and an empty list are no answer to a required item.
 */
export function isAnswered(answers: Answers, id: string): boolean {
  if (!Object.hasOwn(answers, id)) return false;
  const value = answers[id];
  return !((typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0));
}

function answerProblem(item: Item, value: Answer): string | null {
  switch (item.type) {
    case 'scale':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (item.type === 'scale' && !Number.isInteger(value)) return 'must be a whole step of the scale';
      if ((item.min !== undefined && value < item.min) || (item.max !== undefined && value > item.max)) return `must be from ${item.min} to ${item.max}`;
      return null;
    case 'single':
      return typeof value === 'string' && item.options!.some((o) => o.value === value) ? null : `must be one of ${item.options!.map((o) => o.value).join(', ')}`;
    case 'multiple':
      return Array.isArray(value) && value.every((v) => typeof v === 'string' && item.options!.some((o) => o.value === v)) && new Set(value).size === value.length ? null : `must be a list of distinct values from ${item.options!.map((o) => o.value).join(', ')}`;
    case 'traffic-light':
      return TRAFFIC_LIGHT.includes(value as TrafficLight) ? null : 'must be green, yellow or red';
    case 'yes-no':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'free-text':
      return typeof value === 'string' && value.length <= 4000 ? null : 'must be text of at most 4000 characters';
  }
}

/** Whether an item is answered with one of `values`: a colour, an option (one of several chosen), true or false. */
export function answeredWith(answers: Answers, id: string, values: string[]): boolean {
  if (!isAnswered(answers, id)) return false;
  const value = answers[id]!;
  return Array.isArray(value) ? value.some((v) => values.includes(v)) : values.includes(String(value));
}

/**
 * What is wrong with answers for this instrument: unknown items, values that do not fit, and
 * (when `complete`) required items left out. Parents' sections are left out of `staffOnly` checks.
 */
const itemsOf = (def: InstrumentDefinition) => new Map(def.sections.flatMap((s) => s.items.map((i) => [i.id, { item: i, parents: s.parents === true }] as const)));

/** Why `id` is no item of this part of the version, or null when it is one (an answer cleared is checked as one given). */
export function itemProblem(def: InstrumentDefinition, id: string, part: 'staff' | 'parents'): string | null {
  const known = itemsOf(def).get(id);
  if (!known) return 'no such item in this instrument version';
  if ((part === 'parents') !== known.parents) return part === 'parents' ? 'the parents answer only the parents’ part' : 'this item belongs to the parents’ part';
  return null;
}

export function answerProblems(def: InstrumentDefinition, answers: Answers, options: { complete: boolean; part: 'staff' | 'parents' }): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  const items = itemsOf(def);
  for (const [id, value] of Object.entries(answers)) {
    const problem = itemProblem(def, id, options.part) ?? answerProblem(items.get(id)!.item, value);
    if (problem) problems.push({ item: id, message: problem });
  }
  if (options.complete) {
    for (const [id, { item, parents }] of items) {
      if ((options.part === 'parents') !== parents || isAnswered(answers, id)) continue;
      if (item.required) problems.push({ item: id, message: 'is required' });
      else if (item.requiredWhen && answeredWith(answers, item.requiredWhen.item, item.requiredWhen.values)) problems.push({ item: id, message: `is required when ${item.requiredWhen.item} is ${item.requiredWhen.values.join(' or ')}` });
    }
  }
  return problems;
}

const TRAFFIC_SCORE: Record<TrafficLight, number> = { green: 0, yellow: 1, red: 2 };

function scoreOf(item: Item, value: Answer): number | null {
  switch (item.type) {
    case 'scale':
    case 'number':
      return value as number;
    case 'single':
      return item.options!.find((o) => o.value === value)?.score ?? 0;
    case 'multiple':
      return (value as string[]).reduce((sum, v) => sum + (item.options!.find((o) => o.value === v)?.score ?? 0), 0);
    case 'traffic-light':
      return TRAFFIC_SCORE[value as TrafficLight];
    case 'yes-no':
      return value ? 1 : 0;
    case 'free-text':
      return null;
  }
}

export interface SectionResult {
  section: string;
  score: number | null;
  category: string | null;
}

/** Scores every rule's section from the answers; the category is the first whose range (and age band) fits. */
export function score(def: InstrumentDefinition, answers: Answers, ageMonths: number | null): SectionResult[] {
  return def.scoring.map((rule) => {
    const section = def.sections.find((s) => s.id === rule.section)!;
    const answered = section.items.filter((i) => isAnswered(answers, i.id));
    let value: number | null;
    if (rule.method === 'count') {
      // Counts choices (and yes/no, scale steps), never free text that happens to read the same.
      const counts = (i: Item) => {
        const v = answers[i.id]!;
        return i.type !== 'free-text' && (Array.isArray(v) ? v.includes(rule.countValue!) : String(v) === rule.countValue);
      };
      value = answered.filter(counts).length;
    } else {
      const scores = answered.map((i) => scoreOf(i, answers[i.id]!)).filter((s): s is number => s !== null);
      value = scores.length === 0 ? null : rule.method === 'sum' ? scores.reduce((a, b) => a + b, 0) : rule.method === 'max' ? Math.max(...scores) : Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 100) / 100;
    }
    return { section: rule.section, score: value, category: value === null ? null : categoryFor(rule, value, ageMonths) };
  });
}

/** The category a score gets: the first whose range (and age band) fits. */
export function categoryFor(rule: ScoringRule, value: number, ageMonths: number | null): string | null {
  return rule.categories.find((c) => (c.min === undefined || value >= c.min) && (c.max === undefined || value <= c.max) && (!c.ageMonths || (ageMonths !== null && ageMonths >= c.ageMonths.min && ageMonths <= c.ageMonths.max)))?.id ?? null;
}

/**
 * Age in months on a day, from birth year and month: outside identity only those are known
 * (events never carry the date of birth), so the age counts calendar months since the birth month.
 */
export function ageInMonths(birthYear: number, birthMonth: number, day: string): number {
  const [y, m] = day.split('-').map(Number) as [number, number];
  return (y - birthYear) * 12 + (m - birthMonth);
}
