// Checks an instrument definition before it is published: its shape against the JSON Schema,
// then its meaning. Every problem is named, as a 422 would list them.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { INSTRUMENT_SCHEMA } from './instrument-schema.js';
import type { InstrumentDefinition } from './instrument.js';
import { meaningProblems } from './instrument-meaning.js';

const validateShape = new Ajv2020({ allErrors: true, strict: true }).compile(INSTRUMENT_SCHEMA);

export function definitionProblems(candidate: unknown): string[] {
  if (!validateShape(candidate)) {
    return (validateShape.errors ?? []).map((e) => `${e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(definition)'}: ${e.message ?? 'is not valid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  }
  return meaningProblems(candidate as InstrumentDefinition);
}
