import { describe, expect, test } from '@jest/globals';
import { EventValidationError, deadLetterTopic, eventTypeFor, parseEventType, topicFor, topicOfType } from '../src/index.js';
import { counterContract, newCounterId } from './fixtures/counter-events.js';

// Topic names as production has them, without the test run's namespace (jest.config.mjs).
delete process.env.SPOR_TOPIC_NAMESPACE;

describe('naming', () => {
  test('types and topics follow the contract', () => {
    const type = eventTypeFor({ service: 'action-plans', aggregate: 'plan', verb: 'activated' });
    expect(type).toBe('dk.spor.action-plans.plan.activated.v1');
    expect(topicOfType(type)).toBe('spor.action-plans.plan.v1');
    expect(topicFor('consent', 'grant', 2)).toBe('spor.consent.grant.v2');
    expect(deadLetterTopic('spor.consent.grant.v1', 'transitions')).toBe('spor.consent.grant.v1.dlq.transitions');
    expect(parseEventType('dk.spor.consent.grant.withdrawn.v1')).toEqual({ service: 'consent', aggregate: 'grant', verb: 'withdrawn', major: 1 });
  });

  test.each(['spor.consent.grant.v1', 'dk.spor.Consent.grant.given.v1', 'dk.spor.consent.grant.given'])('rejects %p as an event type', (type) => {
    expect(() => parseEventType(type)).toThrow(/not a Spor event type/);
  });
});

describe('event factory and schema registry', () => {
  const { registry, factory, type } = counterContract('fixture');
  const id = newCounterId();

  test('a valid event gets the whole envelope', () => {
    const event = factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: 1, data: { counterId: id, amount: 2 } });
    expect(event).toMatchObject({ specversion: '1.0', source: 'spor/fixture', type, subject: id, datacontenttype: 'application/json', municipalityid: '510', aggregateversion: 1 });
    expect(registry.check(event)).toEqual([]);
  });

  test('a data field that breaks the schema is refused, naming the field', () => {
    expect(() => factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: 1, data: { counterId: 'nope', amount: 0 } })).toThrow(EventValidationError);
    try {
      factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: 1, data: { counterId: 'nope', amount: 0 } });
    } catch (error) {
      expect((error as EventValidationError).problems.map((p) => p.path).sort()).toEqual(['data.amount', 'data.counterId']);
    }
  });

  test('a CPR number anywhere in the data is refused', () => {
    expect(() => factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: 1, data: { counterId: id, amount: 1, label: 'barn 0101901234' } })).toThrow(/CPR/);
  });

  test('envelope problems are named', () => {
    const event = factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: 1, data: { counterId: id, amount: 1 } });
    const problems = registry.check({ ...event, municipalityid: 'Haderslev', aggregateversion: 0, extra: true });
    expect(problems.map((p) => p.path).sort()).toEqual(['', 'aggregateversion', 'municipalityid']);
    expect(registry.check({ ...event, type: 'dk.spor.fixture.counter.exploded.v1' })).toEqual([{ path: 'type', message: 'has no registered schema: dk.spor.fixture.counter.exploded.v1' }]);
  });

  test('a service cannot publish another service’s events', () => {
    expect(() => factory.create('dk.spor.consent.grant.given.v1', { subject: id, municipalityId: '510', aggregateVersion: 1, data: {} })).toThrow(/belongs to consent/);
  });
});
