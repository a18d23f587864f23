// The duty-to-notify prompt on its own: the team's newest well-being rating decides, never one
// professional's independent rating, and a newer rating that is not red lifts it.
import { describe, expect, test } from '@jest/globals';
import { concernPrompt, concernPrompts, developmentOf, liftedPrompt, promptRestsOn } from '../src/domain/assessment.js';
import { teamRating } from './rating-fixture.js';

const rating = teamRating;

describe('the duty-to-notify prompt', () => {
  test('while the newest joint (or single) rating is red; an independent red rating, a draft or another instrument raise none', () => {
    expect(concernPrompt([rating('a', 'red', '2026-10-01T09:00:00.000Z')])).toEqual({ kind: 'consider-duty-to-notify', law: 'Barnets lov § 133', assessmentId: 'a', raisedAt: '2026-10-01T09:00:00.000Z', institutionId: 'i' });
    expect(concernPrompt([rating('s', 'red', '2026-10-01T09:00:00.000Z', { rating: 'single' })])?.assessmentId).toBe('s');
    expect(concernPrompt([rating('i', 'red', '2026-10-01T09:00:00.000Z', { rating: 'independent' })])).toBeNull();
    expect(concernPrompt([rating('d', 'red', undefined)])).toBeNull();
    expect(concernPrompt([rating('m', 'red', '2026-10-01T09:00:00.000Z', { instrumentId: 'motorik' })])).toBeNull();
  });

  test('a newer rating that is not red lifts it, whatever order they come in; of two at the same instant the later one counts', () => {
    const red = rating('red', 'red', '2026-10-01T09:00:00.000Z');
    const yellow = rating('yellow', 'yellow', '2026-11-01T09:00:00.000Z');
    expect(concernPrompt([red, yellow])).toBeNull();
    expect(concernPrompt([yellow, red])).toBeNull();
    // Red again after the yellow: the prompt is back, on the newest.
    expect(concernPrompt([red, yellow, rating('again', 'red', '2026-12-01T09:00:00.000Z')])?.assessmentId).toBe('again');
    // An independent green after a red joint rating does not lift it.
    expect(concernPrompt([red, rating('i', 'green', '2026-12-01T09:00:00.000Z', { rating: 'independent' })])?.assessmentId).toBe('red');
    expect(concernPrompt([rating('first', 'yellow', '2026-10-01T09:00:00.000Z'), rating('second', 'red', '2026-10-01T09:00:00.000Z')])?.assessmentId).toBe('second');
  });
});

describe('one prompt per team', () => {
  test('a child in a school and an SFO has a team at each: one team’s newer rating neither lifts the other’s prompt nor rests it on its own', () => {
    const schoolRed = rating('school-red', 'red', '2026-10-01T09:00:00.000Z');
    const sfoGreen = rating('sfo-green', 'green', '2026-10-02T09:00:00.000Z', { institutionId: 'sfo' });
    expect(concernPrompts([schoolRed, sfoGreen])).toEqual([expect.objectContaining({ assessmentId: 'school-red', institutionId: 'i' })]);
    expect(liftedPrompt('sfo-green', sfoGreen, [schoolRed])).toBeNull();
    expect(promptRestsOn('school-red', schoolRed, [schoolRed, sfoGreen])).toBe(true);
    const sfoRed = rating('sfo-red', 'red', '2026-09-01T09:00:00.000Z', { institutionId: 'sfo' });
    expect(concernPrompts([schoolRed, sfoRed]).map((p) => [p.assessmentId, p.institutionId])).toEqual([
      ['sfo-red', 'sfo'],
      ['school-red', 'i'],
    ]);
    expect(liftedPrompt('sfo-green', sfoGreen, [schoolRed, sfoRed])?.assessmentId).toBe('sfo-red');
  });
});

describe('an amendment to red', () => {
  const older = rating('older', 'yellow', '2026-10-01T09:00:00.000Z');
  const newer = rating('newer', 'green', '2026-11-01T09:00:00.000Z');
  const red = (a: typeof older) => ({ ...a, answers: { samlet: 'red' }, results: [{ section: 'samlet', score: null, category: 'red' }] });
  test('raises the prompt on the team’s newest rating only', () => {
    expect(promptRestsOn('newer', red(newer), [older, newer])).toBe(true);
    // An older rating amended red behind a newer green one asks nothing new of the team.
    expect(promptRestsOn('older', red(older), [older, newer])).toBe(false);
    // An independent rating behind it is no newer rating of the team.
    expect(promptRestsOn('older', red(older), [older, rating('i', 'green', '2026-11-01T09:00:00.000Z', { rating: 'independent' })])).toBe(true);
  });
});

describe('the end of a prompt (concern-lifted)', () => {
  const red = rating('red', 'red', '2026-10-01T09:00:00.000Z');
  const green = (id: string, at: string) => rating(id, 'green', at);
  test('a newer team rating that is not red ends the prompt of the red one; a red one, an independent one or no prompt ends none', () => {
    expect(liftedPrompt('new', green('new', '2026-11-01T09:00:00.000Z'), [red])?.assessmentId).toBe('red');
    expect(liftedPrompt('new', rating('new', 'red', '2026-11-01T09:00:00.000Z'), [red])).toBeNull();
    expect(liftedPrompt('new', rating('new', 'green', '2026-11-01T09:00:00.000Z', { rating: 'independent' }), [red])).toBeNull();
    expect(liftedPrompt('new', green('new', '2026-11-01T09:00:00.000Z'), [rating('y', 'yellow', '2026-10-01T09:00:00.000Z')])).toBeNull();
    expect(liftedPrompt('new', green('new', '2026-11-01T09:00:00.000Z'), [])).toBeNull();
  });

  test('the red rating amended ends its prompt; an older one amended, behind it, does not', () => {
    expect(liftedPrompt('red', { ...red, answers: { samlet: 'yellow' }, results: [{ section: 'samlet', score: null, category: 'yellow' }] }, [red])?.assessmentId).toBe('red');
    const older = rating('older', 'red', '2026-09-01T09:00:00.000Z');
    expect(liftedPrompt('older', green('older', '2026-09-01T09:00:00.000Z'), [older, red])).toBeNull();
  });
});

describe('development over time', () => {
  test('the team’s completed results in the order they were completed, per instrument', () => {
    const startedFirst = rating('a', 'yellow', '2026-09-20T09:00:00.000Z', { createdAt: '2026-09-01T08:00:00.000Z' });
    const startedLater = rating('b', 'green', '2026-09-06T09:00:00.000Z', { createdAt: '2026-09-05T08:00:00.000Z' });
    const independent = rating('i', 'red', '2026-09-04T09:00:00.000Z', { rating: 'independent' });
    const motor = rating('m', 'ok', '2026-09-10T09:00:00.000Z', { instrumentId: 'motorik', rating: 'single' });
    const lines = developmentOf([startedFirst, startedLater, independent, rating('d', 'red', undefined), motor]);
    expect(lines.map((l) => [l.instrumentId, l.points.map((p) => p.completedAt)])).toEqual([
      ['trivselsvurdering', ['2026-09-06T09:00:00.000Z', '2026-09-20T09:00:00.000Z']],
      ['motorik', ['2026-09-10T09:00:00.000Z']],
    ]);
  });
});
