// Topic names, and the namespace that keeps a benchmark's topics apart on a shared broker.
import { afterEach, describe, expect, test } from '@jest/globals';
import { deadLetterTopic, topicFor, topicOfType } from '../src/index.js';

// Topic names as production has them, without the test run's namespace (jest.config.mjs).
delete process.env.SPOR_TOPIC_NAMESPACE;

describe('topic names', () => {
  afterEach(() => {
    delete process.env.SPOR_TOPIC_NAMESPACE;
  });

  test('spor.<service>.<aggregate>.v<major>, and the dead-letter topic beside it', () => {
    expect(topicFor('assessments', 'assessment')).toBe('spor.assessments.assessment.v1');
    expect(topicOfType('dk.spor.assessments.assessment.completed.v1')).toBe('spor.assessments.assessment.v1');
    expect(deadLetterTopic('spor.assessments.assessment.v1', 'transitions')).toBe('spor.assessments.assessment.v1.dlq.transitions');
  });

  test('with SPOR_TOPIC_NAMESPACE every topic of the process carries the prefix; a bad one is refused', () => {
    process.env.SPOR_TOPIC_NAMESPACE = 'bench';
    expect(topicFor('assessments', 'assessment')).toBe('bench.spor.assessments.assessment.v1');
    expect(topicOfType('dk.spor.identity.person.registered.v1')).toBe('bench.spor.identity.person.v1');
    process.env.SPOR_TOPIC_NAMESPACE = 'Bench!';
    expect(() => topicFor('assessments', 'assessment')).toThrow('SPOR_TOPIC_NAMESPACE');
  });
});
