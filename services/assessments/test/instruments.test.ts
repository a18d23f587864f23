// The instrument engine and every built-in instrument: definitions pass the schema, answers
// are checked item by item, and scores land in the right category, age-band boundaries included.
import { describe, expect, test } from '@jest/globals';
import { BUILT_IN_INSTRUMENTS } from '../src/domain/built-in-instruments.js';
import { definitionProblems } from '../src/domain/definition-check.js';
import { ageInMonths, answerProblems, score, type Answers } from '../src/domain/instrument.js';

/** Gross-motor answers (0–2 each) that sum to `sum`. */
const grossMotor = (sum: number): Answers => Object.fromEntries(['hopper', 'balance', 'kaster', 'trapper', 'loeber'].map((id, i) => [id, Math.min(2, Math.max(0, sum - 2 * i))]));
/** The newest built-in version: what new assessments use. */
const instrument = (id: string) => BUILT_IN_INSTRUMENTS.filter((i) => i.instrumentId === id).sort((a, b) => b.version - a.version)[0]!;
const categoryOf = (id: string, answers: Answers, age: number | null, section?: string) => {
  const results = score(instrument(id), answers, age);
  return (section ? results.find((r) => r.section === section) : results[0])!.category;
};

describe('instrument definitions', () => {
  test.each(BUILT_IN_INSTRUMENTS.map((i) => [`${i.instrumentId} v${i.version}`, i]))('%s passes the schema and the meaning checks', (_id, def) => {
    expect(definitionProblems(def)).toEqual([]);
  });

  test('a bad definition is refused naming each problem', () => {
    const bad = { ...instrument('motorik'), target: 'school', extra: 1, scoring: [{ section: 'nowhere', method: 'sum', categories: [{ id: 'x', label: 'X' }] }] };
    expect(definitionProblems(bad)).toEqual(expect.arrayContaining(['(definition): must NOT have additional properties (extra)', 'target: must be equal to one of the allowed values']));
    const meaning = { ...instrument('motorik'), scoring: [{ section: 'nowhere', method: 'count', categories: [{ id: 'x', label: 'X' }] }] };
    expect(definitionProblems(meaning)).toEqual(['scoring: no section nowhere', 'scoring.nowhere: count needs countValue']);
  });
});

describe('what a definition means', () => {
  // A small valid child instrument to break one way at a time.
  const base = () => ({
    instrumentId: 'egen',
    version: 1,
    title: 'Egen',
    description: 'En kommunes egen',
    target: 'child',
    institutionTypes: ['boernehave'],
    ageMonths: { min: 36, max: 72 },
    parentsTakePart: false,
    sections: [{ id: 's', title: 'S', items: [{ id: 'a', text: 'A', type: 'scale', required: true, min: 1, max: 4 }, { id: 'b', text: 'B', type: 'scale', required: true, min: 1, max: 4 }] }],
    scoring: [{ section: 's', method: 'sum', categories: [{ id: 'lav', label: 'Lav', max: 4 }, { id: 'hoej', label: 'Høj', min: 5 }] }] as Record<string, unknown>[],
  });
  const rule = (over: object) => ({ ...base(), scoring: [{ ...base().scoring[0], ...over }] });
  const item = (over: object) => ({ ...base(), sections: [{ ...base().sections[0]!, items: [{ ...base().sections[0]!.items[0]!, ...over }, base().sections[0]!.items[1]!] }] });

  test('the base passes', () => {
    expect(definitionProblems(base())).toEqual([]);
  });

  test.each([
    ['a gap between categories', rule({ categories: [{ id: 'lav', label: 'L', max: 3 }, { id: 'hoej', label: 'H', min: 6 }] }), 'scoring.s: no category for a score of 4'],
    ['a score below every category', rule({ categories: [{ id: 'hoej', label: 'H', min: 3 }] }), 'scoring.s: no category for a score of 2'],
    ['a category with min above max', rule({ categories: [{ id: 'lav', label: 'L', max: 4 }, { id: 'hoej', label: 'H', min: 9, max: 5 }] }), 'scoring.s.hoej: min 9 is above max 5'],
    ['age bands that leave months out', rule({ categories: [{ id: 'lav', label: 'L', ageMonths: { min: 36, max: 47 } }, { id: 'hoej', label: 'H', ageMonths: { min: 50, max: 72 } }] }), 'scoring.s: no category applies at 48 months'],
    ['an age band that ends before it begins', rule({ categories: [{ id: 'lav', label: 'L', ageMonths: { min: 60, max: 40 } }, { id: 'hoej', label: 'H' }] }), 'scoring.s.lav: the age band ends before it begins'],
    ['an age band outside the instrument', rule({ categories: [{ id: 'lav', label: 'L', ageMonths: { min: 80, max: 90 } }, { id: 'hoej', label: 'H' }] }), "scoring.s.lav: the age band is outside the instrument's ages (36 to 72 months)"],
    ['two rules on one section', { ...base(), scoring: [base().scoring[0], base().scoring[0]] }, 'scoring.s: the section has two rules'],
    ['a count of a value no item takes', rule({ method: 'count', countValue: 'purple', categories: [{ id: 'alle', label: 'A' }] }), 'scoring.s: no item in the section can be answered purple'],
    ['a scale of fractions', item({ min: 0.5, max: 0.9 }), "items.a: a scale's steps are whole numbers"],
    ['a scored number without bounds', item({ type: 'number', min: undefined, max: undefined }), 'items.a: a scored number needs min and max within ±1000000000'],
    ['a scored number with bounds big enough to make a sum infinite', item({ type: 'number', min: 0, max: 1e308 }), 'items.a: a scored number needs min and max within ±1000000000'],
    ['a number range that ends before it begins', item({ type: 'number', min: 5, max: 1 }), 'items.a: a number needs min <= max'],
    ['age bands without the instrument’s age range', { ...rule({ categories: [{ id: 'lav', label: 'L', ageMonths: { min: 36, max: 59 } }, { id: 'hoej', label: 'H' }] }), ageMonths: undefined }, "scoring.s.lav: age bands need the instrument's age range (ageMonths), so that every child it is used for is in a band"],
    ['a condition on an item that is not there', item({ required: false, requiredWhen: { item: 'x', values: ['1'] } }), 'items.a.requiredWhen: no other item x'],
    ['a condition on a value the item never takes', item({ required: false, requiredWhen: { item: 'b', values: ['9'] } }), 'items.a.requiredWhen: b cannot be answered 9'],
    ['a condition on an item required always', item({ requiredWhen: { item: 'b', values: ['4'] } }), 'items.a.requiredWhen: the item is required always'],
    ['independent raters on a group', { ...base(), target: 'group', ageMonths: undefined, independentRaters: 2 }, 'independentRaters: independent ratings are of a child; a group is assessed once'],
    ['options on a yes/no', item({ type: 'yes-no', min: undefined, max: undefined, options: [{ value: 'x', label: 'X' }] }), 'items.a: only single and multiple choice items have options'],
    ['an option twice', item({ type: 'single', min: undefined, max: undefined, options: [{ value: 'x', label: 'X', score: 1 }, { value: 'x', label: 'Y', score: 2 }] }), 'items.a: the option x is there twice'],
    ['a traffic light in a sum of numbers', item({ type: 'traffic-light', min: undefined, max: undefined }), 'scoring.s: a sum mixes traffic lights with numbers; score them in sections of their own'],
    ['parents taking part without a part of their own', { ...base(), parentsTakePart: true }, 'parentsTakePart: there is no section for the parents (parents: true)'],
    ['a rule on the parents’ part', { ...base(), parentsTakePart: true, sections: [{ ...base().sections[0]!, parents: true }] }, "scoring.s: the parents' part is not scored (their answers are shown, not scored)"],
    ['an age range that ends before it begins', { ...base(), ageMonths: { min: 72, max: 36 } }, 'ageMonths: the range ends before it begins'],
    ['a section of free text scored', { ...base(), sections: [{ id: 's', title: 'S', items: [{ id: 'a', text: 'A', type: 'free-text', required: false }] }] }, 'scoring.s: the section has nothing to sum (only free text)'],
    ['a scale so wide a mean of it is infinite', item({ min: 0, max: 1e308 }), "items.a: a scale's min and max are within ±1000000000"],
    ['an option scored beyond any sum', item({ type: 'single', min: undefined, max: undefined, options: [{ value: 'x', label: 'X', score: 1e308 }] }), "items.a: an option's score is within ±1000000000"],
    ['a parents’ part on a group', { ...base(), target: 'group', ageMonths: undefined, parentsTakePart: true, sections: [...base().sections, { id: 'f', title: 'F', parents: true, items: [{ id: 'f1', text: 'F', type: 'free-text', required: true }] }] }, 'parentsTakePart: a group has no parents; the parents take part in a child’s assessment'],
    ['more categories than anyone reads', rule({ categories: Array.from({ length: 31 }, (_, i) => ({ id: `c${i}`, label: 'C', min: i, max: i })) }), 'scoring.0.categories: must NOT have more than 30 items'],
  ])('%s is refused, naming where', (_what, definition, problem) => {
    expect(definitionProblems(definition)).toContain(problem);
  });

  test('a municipality’s own well-being version keeps the category red that prompts the duty to notify', () => {
    const wellbeing = instrument('trivselsvurdering');
    const renamed = { ...wellbeing, scoring: wellbeing.scoring.map((r) => ({ ...r, categories: r.categories.map((c) => (c.id === 'red' ? { ...c, id: 'roed' } : c)) })) };
    const problem = 'scoring: trivselsvurdering keeps a category red that some rating reaches, which prompts the team to consider the duty to notify (Barnets lov § 133)';
    expect(definitionProblems(renamed)).toEqual([problem]);
    // Kept, but behind a category that takes every score first: no rating is ever red.
    const shadowed = { ...wellbeing, scoring: wellbeing.scoring.map((r) => ({ ...r, categories: [{ id: 'groen', label: 'Alle' }, ...r.categories] })) };
    expect(definitionProblems(shadowed)).toEqual([problem]);
    // A group's well-being version: no child's rating, so no prompt ever.
    expect(definitionProblems({ ...wellbeing, target: 'group', ageMonths: undefined, independentRaters: undefined })).toContain('target: trivselsvurdering rates a child, whose red rating prompts the team to consider the duty to notify');
  });

  test('whether red is reached is decided at the categories’ bounds: red behind age bands that take every score is not, red far up a wide scale is', () => {
    const wide = (categories: object[]) => ({
      ...base(),
      instrumentId: 'trivselsvurdering',
      ageMonths: { min: 0, max: 999 },
      sections: [{ id: 's', title: 'S', items: [{ id: 'a', text: 'A', type: 'scale', required: true, min: 0, max: 30000 }] }],
      scoring: [{ section: 's', method: 'max', categories }],
    });
    // Age bands that take every score first, then red: never reached.
    const bands = Array.from({ length: 29 }, (_, i) => ({ id: `b${i}`, label: 'B', ageMonths: { min: i * 35, max: Math.min(999, i * 35 + 34) } }));
    expect(definitionProblems(wide([...bands, { id: 'red', label: 'R' }]))).toEqual(expect.arrayContaining([expect.stringContaining('keeps a category red that some rating reaches')]));
    // Red only at 25,000 and up, beyond where walking every score used to stop: reached.
    expect(definitionProblems(wide([{ id: 'green', label: 'G', max: 24999 }, { id: 'red', label: 'R', min: 25000 }]))).toEqual([]);
  });

  test('what the checks leave alone: a count beside a free-text note, an unbounded number nobody scores, a required multiple choice that always adds', () => {
    const withNote = { ...base(), sections: [{ ...base().sections[0]!, items: [...base().sections[0]!.items, { id: 'note', text: 'N', type: 'free-text', required: false }] }], scoring: [{ section: 's', method: 'count', countValue: '4', categories: [{ id: 'ingen', label: 'Ingen', max: 0 }, { id: 'nogle', label: 'Nogle', min: 1 }] }] };
    expect(definitionProblems(withNote)).toEqual([]);
    const unscored = { ...base(), sections: [...base().sections, { id: 'maal', title: 'Mål', items: [{ id: 'hoejde', text: 'Højde i cm', type: 'number', required: false }] }] };
    expect(definitionProblems(unscored)).toEqual([]);
    const choices = { ...base(), sections: [{ id: 's', title: 'S', items: [{ id: 'a', text: 'A', type: 'multiple', required: true, options: [{ value: 'x', label: 'X', score: 1 }, { value: 'y', label: 'Y', score: 2 }] }] }], scoring: [{ section: 's', method: 'sum', categories: [{ id: 'lav', label: 'L', max: 1 }, { id: 'hoej', label: 'H', min: 2 }] }] };
    expect(definitionProblems(choices)).toEqual([]);
  });

  test('a count or a condition on a step of a long scale is taken', () => {
    const long = item({ min: 0, max: 200 });
    const counted = { ...long, scoring: [{ section: 's', method: 'count', countValue: '150', categories: [{ id: 'alle', label: 'Alle' }] }] };
    expect(definitionProblems(counted)).toEqual([]);
    const conditional = { ...long, sections: [{ ...long.sections[0]!, items: [long.sections[0]!.items[0]!, { ...long.sections[0]!.items[1]!, required: false, requiredWhen: { item: 'a', values: ['150'] } }] }] };
    expect(definitionProblems({ ...conditional, scoring: [{ section: 's', method: 'count', countValue: '150', categories: [{ id: 'alle', label: 'Alle' }] }] })).toEqual([]);
    expect(definitionProblems({ ...counted, scoring: [{ ...counted.scoring[0]!, countValue: '201' }] })).toEqual(['scoring.s: no item in the section can be answered 201']);
  });

  test('a mean is checked to two decimals: a category must follow on at the next hundredth', () => {
    const mean = (categories: object[]) => rule({ method: 'mean', categories });
    expect(definitionProblems(mean([{ id: 'lav', label: 'L', max: 2.49 }, { id: 'hoej', label: 'H', min: 2.5 }]))).toEqual([]);
    expect(definitionProblems(mean([{ id: 'lav', label: 'L', max: 2 }, { id: 'hoej', label: 'H', min: 3 }]))).toEqual(['scoring.s: no category for a score of 2.01']);
    // A mean is rounded as scoring rounds it: of numbers from 0.004 it can be 0, below a category from 0.004.
    const rounded = { ...base(), sections: [{ id: 's', title: 'S', items: [{ id: 'a', text: 'A', type: 'number', required: true, min: 0.004, max: 10 }] }], scoring: [{ section: 's', method: 'mean', categories: [{ id: 'alle', label: 'A', min: 0.004 }] }] };
    expect(definitionProblems(rounded)).toEqual(['scoring.s: no category for a score of 0']);
  });
});

describe('answers', () => {
  test('well-being version 2: a yellow or red rating names its areas of concern; green needs none', () => {
    const wellbeing = instrument('trivselsvurdering');
    expect(wellbeing.version).toBe(2);
    const complete = { complete: true, part: 'staff' } as const;
    expect(answerProblems(wellbeing, { samlet: 'green' }, complete)).toEqual([]);
    expect(answerProblems(wellbeing, { samlet: 'yellow' }, complete)).toEqual([{ item: 'omraader', message: 'is required when samlet is yellow or red' }]);
    expect(answerProblems(wellbeing, { samlet: 'red', omraader: [] }, complete)).toEqual([{ item: 'omraader', message: 'is required when samlet is yellow or red' }]);
    expect(answerProblems(wellbeing, { samlet: 'red', omraader: ['familie'] }, complete)).toEqual([]);
    // A draft may leave it open; version 1 keeps its answers valid.
    expect(answerProblems(wellbeing, { samlet: 'red' }, { complete: false, part: 'staff' })).toEqual([]);
    const v1 = BUILT_IN_INSTRUMENTS.find((i) => i.instrumentId === 'trivselsvurdering' && i.version === 1)!;
    expect(answerProblems(v1, { samlet: 'red' }, complete)).toEqual([]);
  });

  test('an item named like a property of every object is still required and scored as itself', () => {
    const def = { ...instrument('motorik'), sections: [{ id: 'g', title: 'G', items: [{ id: 'constructor', text: 'C', type: 'scale' as const, required: true, min: 0, max: 2 }] }], scoring: [{ section: 'g', method: 'sum' as const, categories: [{ id: 'alle', label: 'Alle' }] }] };
    expect(answerProblems(def, {}, { complete: true, part: 'staff' })).toEqual([{ item: 'constructor', message: 'is required' }]);
    expect(score(def, {}, 40)).toEqual([{ section: 'g', score: null, category: null }]);
    expect(score(def, { constructor: 2 }, 40)).toEqual([{ section: 'g', score: 2, category: 'alle' }]);
  });

  test('empty text and an empty list do not answer a required item', () => {
    const def = { ...instrument('motorik'), sections: [{ id: 'g', title: 'G', items: [{ id: 'tekst', text: 'T', type: 'free-text' as const, required: true }, { id: 'valg', text: 'V', type: 'multiple' as const, required: true, options: [{ value: 'a', label: 'A' }] }] }], scoring: [] };
    expect(answerProblems(def, { tekst: '  ', valg: [] }, { complete: true, part: 'staff' })).toEqual([
      { item: 'tekst', message: 'is required' },
      { item: 'valg', message: 'is required' },
    ]);
  });

  test('a count counts choices, never free text that reads the same', () => {
    const def = { ...instrument('motorik'), sections: [{ id: 'g', title: 'G', items: [{ id: 'tekst', text: 'T', type: 'free-text' as const, required: false }, { id: 'valg', text: 'V', type: 'multiple' as const, required: false, options: [{ value: 'a', label: 'A' }] }] }], scoring: [{ section: 'g', method: 'count' as const, countValue: 'a', categories: [{ id: 'alle', label: 'Alle' }] }] };
    expect(score(def, { tekst: 'a', valg: ['a'] }, 40)[0]!.score).toBe(1);
  });

  test('unknown items, values out of range, wrong types and missing required items are each named', () => {
    const problems = answerProblems(instrument('motorik'), { hopper: 3, balance: 1.5, kaster: 'two', ukendt: 1 }, { complete: true, part: 'staff' });
    expect(problems).toEqual(
      expect.arrayContaining([
        { item: 'hopper', message: 'must be from 0 to 2' },
        { item: 'balance', message: 'must be a whole step of the scale' },
        { item: 'kaster', message: 'must be a number' },
        { item: 'ukendt', message: 'no such item in this instrument version' },
        { item: 'trapper', message: 'is required' },
      ]),
    );
    // A draft may be partial.
    expect(answerProblems(instrument('motorik'), { hopper: 2 }, { complete: false, part: 'staff' })).toEqual([]);
  });

  test('the parents answer only their part, and staff not theirs', () => {
    const def = instrument('alsidig-udvikling');
    expect(answerProblems(def, { 'foraeldre-trivsel': 4 }, { complete: false, part: 'staff' })).toEqual([{ item: 'foraeldre-trivsel', message: 'this item belongs to the parents’ part' }]);
    expect(answerProblems(def, { 'social-engagement': 4 }, { complete: false, part: 'parents' })).toEqual([{ item: 'social-engagement', message: 'the parents answer only the parents’ part' }]);
    expect(answerProblems(def, { 'foraeldre-trivsel': 3 }, { complete: true, part: 'parents' })).toEqual([]);
  });

  test('choices must be among the options; traffic lights are green, yellow or red', () => {
    expect(answerProblems(instrument('trivselsvurdering'), { samlet: 'blue', omraader: ['sprog', 'sprog'] }, { complete: false, part: 'staff' })).toEqual([
      { item: 'samlet', message: 'must be green, yellow or red' },
      { item: 'omraader', message: expect.stringMatching(/^must be a list of distinct values from socialt, /) },
    ]);
  });
});

describe('scoring', () => {
  test('well-being: the traffic light decides, green, yellow or red', () => {
    expect(categoryOf('trivselsvurdering', { samlet: 'green' }, 40)).toBe('green');
    expect(categoryOf('trivselsvurdering', { samlet: 'yellow', omraader: ['sprog'] }, 40)).toBe('yellow');
    expect(categoryOf('trivselsvurdering', { samlet: 'red' }, 40)).toBe('red');
  });

  const yes = (n: number): Answers => Object.fromEntries(instrument('sprogvurdering').sections[0]!.items.filter((i) => i.type === 'yes-no').map((item, i) => [item.id, i < n]));

  test.each([
    // 3-year band: 30–47 months; general from 7, focused 4–6, special up to 3
    [30, 7, 'general'],
    [47, 6, 'focused'],
    [47, 4, 'focused'],
    [40, 3, 'special'],
    // 5-year band: 48–65 months; general from 9, focused 6–8
    [48, 8, 'focused'],
    [48, 9, 'general'],
    [65, 5, 'special'],
    // before school: 66–84 months; general from 11, focused 8–10
    [66, 10, 'focused'],
    [84, 11, 'general'],
    [70, 7, 'special'],
  ])('language screening at %i months with %i points: %s', (age, points, category) => {
    expect(categoryOf('sprogvurdering', yes(points), age)).toBe(category);
  });

  test.each([
    // The same score on either side of a band boundary: the band decides.
    [47, 8, 'general'],
    [48, 8, 'focused'],
    [65, 10, 'general'],
    [66, 10, 'focused'],
    // The lower edge of each band's focused range.
    [30, 4, 'focused'],
    [48, 6, 'focused'],
    [48, 5, 'special'],
    [66, 8, 'focused'],
    [66, 7, 'special'],
    [84, 0, 'special'],
    [84, 12, 'general'],
  ])('language screening across the band boundaries: %i months, %i points, %s', (age, points, category) => {
    expect(categoryOf('sprogvurdering', yes(points), age)).toBe(category);
  });

  test('language screening outside the age bands gives no category rather than a wrong one', () => {
    expect(categoryOf('sprogvurdering', yes(10), 29)).toBeNull();
    expect(categoryOf('sprogvurdering', yes(10), 92)).toBeNull();
  });

  test('deferred school start (§ 29 a): readiness is the mean of the staff’s judgements, and the leader’s recommendation a category of its own', () => {
    const judged = (step: number) => Object.fromEntries(['faellesskab', 'selvhjulpen', 'opmaerksomhed', 'sprog-faellesskab', 'robusthed'].map((id) => [id, step]));
    const answers = (step: number, defer: boolean): Answers => ({ ...judged(step), 'skoleleder-syn': 'udsaet', 'anbefaler-udsaettelse': defer, begrundelse: 'Barnet har brug for et år mere i børnehaven' });
    expect(score(instrument('udsat-skolestart'), answers(1, true), 70)).toEqual([
      { section: 'parathed', score: 1, category: 'not-yet' },
      { section: 'anbefaling', score: 1, category: 'defer' },
    ]);
    expect(categoryOf('udsat-skolestart', answers(2, true), 70)).toBe('partly');
    expect(categoryOf('udsat-skolestart', answers(3, false), 70, 'anbefaling')).toBe('start');
    expect(categoryOf('udsat-skolestart', { ...answers(3, false), selvhjulpen: 2 }, 70)).toBe('partly');
    // The written reasons are required: the law asks for a written assessment.
    expect(answerProblems(instrument('udsat-skolestart'), { ...answers(3, false), begrundelse: undefined as never }, { complete: true, part: 'staff' }).map((p) => p.item)).toContain('begrundelse');
    // The parents answer their own part; staff cannot answer it for them.
    expect(answerProblems(instrument('udsat-skolestart'), { 'foraeldre-oenske': 'udsaet' }, { complete: false, part: 'parents' })).toEqual([]);
  });

  test('language screening version 2: the band before school start runs to 91 months (deferred school start); version 1 keeps scoring to 84', () => {
    const v1 = BUILT_IN_INSTRUMENTS.find((i) => i.instrumentId === 'sprogvurdering' && i.version === 1)!;
    expect(instrument('sprogvurdering')).toMatchObject({ version: 2, ageMonths: { min: 30, max: 91 } });
    expect(categoryOf('sprogvurdering', yes(11), 85)).toBe('general');
    expect(categoryOf('sprogvurdering', yes(8), 91)).toBe('focused');
    expect(categoryOf('sprogvurdering', yes(7), 91)).toBe('special');
    expect(score(v1, yes(11), 85)[0]!.category).toBeNull();
    expect(score(v1, yes(11), 84)[0]!.category).toBe('general');
  });

  test('motor skills: each section summed into its own category', () => {
    const answers: Answers = { hopper: 2, balance: 2, kaster: 2, trapper: 1, loeber: 1, blyant: 1, klipper: 1, perler: 1, tegner: 1, knapper: 0 };
    expect(score(instrument('motorik'), answers, 60)).toEqual([
      { section: 'grovmotorik', score: 8, category: 'as-expected' },
      { section: 'finmotorik', score: 4, category: 'needs-support' },
    ]);
    expect(categoryOf('motorik', { ...answers, knapper: 1, tegner: 2 }, 60, 'finmotorik')).toBe('watch');
  });

  test.each([
    [4, 'needs-support'],
    [5, 'watch'],
    [7, 'watch'],
    [8, 'as-expected'],
  ])('motor skills: a section summing to %i is %s', (sum, category) => {
    const answers = grossMotor(sum);
    expect(score(instrument('motorik'), answers, 60)[0]).toEqual({ section: 'grovmotorik', score: sum, category });
  });

  test.each([
    [1, 2, 1.5, 'needs-attention'],
    [2, 2, 2, 'developing'],
    [3, 2, 2.5, 'developing'],
    [3, 3, 3, 'thriving'],
    [4, 4, 4, 'thriving'],
  ])('all-round development: engagement %i and mastery %i, mean %d, is %s', (engagement, mastery, mean, category) => {
    expect(score(instrument('alsidig-udvikling'), { 'krop-engagement': engagement, 'krop-mestring': mastery }, 50).find((r) => r.section === 'krop')).toEqual({ section: 'krop', score: mean, category });
  });

  test.each([
    [[2, 2, 3], 2.33, 'needs-development'],
    [[3, 3, 3], 3, 'adequate'],
    [[3, 3, 4], 3.33, 'strong'],
  ])('learning environment: the children’s interviews %j, mean %d, are %s', (answers, mean, category) => {
    const [glad, venner, indflydelse] = answers as number[];
    expect(score(instrument('laeringsmiljoe'), { 'boern-glad': glad!, 'boern-venner': venner!, 'boern-indflydelse': indflydelse! }, null).find((r) => r.section === 'boerneinterview')).toEqual({ section: 'boerneinterview', score: mean, category });
  });

  test('well-being: the concern areas and the reasons do not change the light', () => {
    expect(score(instrument('trivselsvurdering'), { samlet: 'green', omraader: ['familie', 'sprog'], begrundelse: 'Tekst' }, 40)).toEqual([{ section: 'trivsel', score: 0, category: 'green' }]);
  });

  test('all-round development: the mean of each theme; the parents’ part is not scored', () => {
    const results = score(instrument('alsidig-udvikling'), { 'social-engagement': 4, 'social-mestring': 3, 'sprog-engagement': 1, 'sprog-mestring': 2, 'foraeldre-trivsel': 1 }, 50);
    expect(results.find((r) => r.section === 'social')).toEqual({ section: 'social', score: 3.5, category: 'thriving' });
    expect(results.find((r) => r.section === 'sprog')).toEqual({ section: 'sprog', score: 1.5, category: 'needs-attention' });
    expect(results.find((r) => r.section === 'natur')).toEqual({ section: 'natur', score: null, category: null });
    expect(results.map((r) => r.section)).not.toContain('foraeldre');
  });

  test.each([
    [3, 59, 'needs-support'],
    [4, 59, 'watch'],
    [5, 59, 'watch'],
    [6, 59, 'as-expected'],
    [6, 60, 'watch'],
    [8, 60, 'as-expected'],
    [8, 84, 'as-expected'],
  ])('motor skills version 2: a section summing to %i at %i months is %s (its age bands)', (sum, age, category) => {
    const answers = grossMotor(sum);
    expect(instrument('motorik').version).toBe(2);
    expect(score(instrument('motorik'), answers, age)[0]).toEqual({ section: 'grovmotorik', score: sum, category });
  });

  test('motor skills: version 2 is for children from three; version 1 keeps scoring what was made with it', () => {
    const v1 = BUILT_IN_INSTRUMENTS.find((i) => i.instrumentId === 'motorik' && i.version === 1)!;
    expect(instrument('motorik').ageMonths).toEqual({ min: 36, max: 84 });
    const answers = { hopper: 1, balance: 1, kaster: 1, trapper: 1, loeber: 1 };
    expect(score(v1, answers, 30)[0]).toEqual({ section: 'grovmotorik', score: 5, category: 'watch' });
  });

  test('learning environment version 2: a group with no children old enough for the interview is completed without it', () => {
    const v2 = instrument('laeringsmiljoe');
    const v1 = BUILT_IN_INSTRUMENTS.find((i) => i.instrumentId === 'laeringsmiljoe' && i.version === 1)!;
    const staffOnly = { 'voksen-barn': 3, 'barn-barn': 3, legerum: 3, voksenleg: 3, 'rutiner-laering': 3, overgange: 3, indretning: 3, materialer: 3 };
    expect(v2.version).toBe(2);
    expect(answerProblems(v2, staffOnly, { complete: true, part: 'staff' })).toEqual([]);
    expect(answerProblems(v1, staffOnly, { complete: true, part: 'staff' }).map((p) => p.item)).toEqual(['boern-glad', 'boern-venner', 'boern-indflydelse']);
    expect(score(v2, staffOnly, null).find((r) => r.section === 'boerneinterview')).toEqual({ section: 'boerneinterview', score: null, category: null });
  });

  test('learning environment: boundaries between development area, adequate and strength', () => {
    expect(categoryOf('laeringsmiljoe', { 'voksen-barn': 2, 'barn-barn': 3 }, null)).toBe('adequate');
    expect(categoryOf('laeringsmiljoe', { 'voksen-barn': 2, 'barn-barn': 2 }, null)).toBe('needs-development');
    expect(categoryOf('laeringsmiljoe', { 'voksen-barn': 3, 'barn-barn': 4 }, null)).toBe('strong');
  });

  test('age in months counts calendar months since the birth month', () => {
    expect(ageInMonths(2023, 5, '2026-05-20')).toBe(36);
    expect(ageInMonths(2023, 5, '2026-04-30')).toBe(35);
  });
});
