// The instrument engine and every built-in instrument: definitions pass the schema, answers
// are checked item by item, and scores land in the right category, age-band boundaries included.
import { describe, expect, test } from '@jest/globals';
import { BUILT_IN_INSTRUMENTS } from '../src/domain/built-in-instruments.js';
import { definitionProblems } from '../src/domain/definition-check.js';
import { ageInMonths, answerProblems, score, type Answers } from '../src/domain/instrument.js';

const instrument = (id: string) => BUILT_IN_INSTRUMENTS.find((i) => i.instrumentId === id)!;
const categoryOf = (id: string, answers: Answers, age: number | null, section?: string) => {
  const results = score(instrument(id), answers, age);
  return (section ? results.find((r) => r.section === section) : results[0])!.category;
};

describe('instrument definitions', () => {
  test.each(BUILT_IN_INSTRUMENTS.map((i) => [i.instrumentId, i]))('%s passes the schema and the meaning checks', (_id, def) => {
    expect(definitionProblems(def)).toEqual([]);
  });

  test('a bad definition is refused naming each problem', () => {
    const bad = { ...instrument('motorik'), target: 'school', extra: 1, scoring: [{ section: 'nowhere', method: 'sum', categories: [{ id: 'x', label: 'X' }] }] };
    expect(definitionProblems(bad)).toEqual(expect.arrayContaining(['(definition): must NOT have additional properties (extra)', 'target: must be equal to one of the allowed values']));
    const meaning = { ...instrument('motorik'), scoring: [{ section: 'nowhere', method: 'count', categories: [{ id: 'x', label: 'X' }] }] };
    expect(definitionProblems(meaning)).toEqual(['scoring: no section nowhere', 'scoring.nowhere: count needs countValue']);
  });
});

describe('answers', () => {
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
    expect(categoryOf('sprogvurdering', yes(10), 85)).toBeNull();
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
    const items = ['hopper', 'balance', 'kaster', 'trapper', 'loeber'];
    const answers = Object.fromEntries(items.map((id, i) => [id, Math.min(2, Math.max(0, sum - 2 * i))]));
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
