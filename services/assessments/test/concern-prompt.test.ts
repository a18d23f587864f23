// The duty-to-notify prompt on its own: the team's newest well-being rating decides, never one
// professional's independent rating, and a newer rating that is not red lifts it.
import { describe, expect, test } from '@jest/globals';
import { concernPrompt, type Assessment } from '../src/domain/assessment.js';

const rating = (id: string, light: string, completedAt: string | undefined, over: Partial<Assessment> = {}): Assessment & { _id: string } => ({
  _id: id,
  municipalityId: '510',
  instrumentId: 'trivselsvurdering',
  instrumentVersion: 1,
  target: { kind: 'child', childId: 'c' },
  institutionId: 'i',
  ageMonths: 50,
  rating: 'joint',
  basedOn: [],
  status: completedAt ? 'completed' : 'draft',
  answers: { samlet: light },
  parentAnswers: {},
  results: [{ section: 'samlet', score: null, category: light }],
  sharedWithParents: false,
  createdBy: 's',
  createdAt: '2026-10-01T08:00:00.000Z',
  ...(completedAt ? { completedAt } : {}),
  amendments: [],
  ...over,
});

describe('the duty-to-notify prompt', () => {
  test('while the newest joint (or single) rating is red; an independent red rating, a draft or another instrument raise none', () => {
    expect(concernPrompt([rating('a', 'red', '2026-10-01T09:00:00.000Z')])).toEqual({ kind: 'consider-duty-to-notify', law: 'Barnets lov § 133', assessmentId: 'a', raisedAt: '2026-10-01T09:00:00.000Z' });
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
