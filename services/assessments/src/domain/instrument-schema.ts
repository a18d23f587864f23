// The JSON Schema (2020-12) of an instrument definition: what municipalities send to add their
// own (licensed) instruments, and what the built-in ones are checked against in the tests.
export const INSTRUMENT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://schemas.spor.dk/instruments/instrument-definition.schema.json',
  title: 'Spor instrument definition',
  type: 'object',
  additionalProperties: false,
  required: ['instrumentId', 'title', 'description', 'target', 'institutionTypes', 'parentsTakePart', 'sections', 'scoring'],
  properties: {
    instrumentId: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,60}$' },
    version: { type: 'integer', minimum: 1 },
    title: { type: 'string', minLength: 3, maxLength: 200 },
    description: { type: 'string', maxLength: 4000 },
    target: { enum: ['child', 'group'] },
    institutionTypes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['dagpleje', 'vuggestue', 'boernehave', 'skole', 'sfo'] } },
    ageMonths: { $ref: '#/$defs/range' },
    parentsTakePart: { type: 'boolean' },
    independentRaters: { type: 'integer', minimum: 2, maximum: 5 },
    sections: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'title', 'items'],
        properties: {
          id: { $ref: '#/$defs/id' },
          title: { type: 'string', minLength: 1, maxLength: 200 },
          parents: { type: 'boolean' },
          items: {
            type: 'array',
            minItems: 1,
            maxItems: 100,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['id', 'text', 'type', 'required'],
              properties: {
                id: { $ref: '#/$defs/id' },
                text: { type: 'string', minLength: 1, maxLength: 1000 },
                type: { enum: ['scale', 'single', 'multiple', 'traffic-light', 'yes-no', 'number', 'free-text'] },
                required: { type: 'boolean' },
                requiredWhen: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['item', 'values'],
                  properties: { item: { $ref: '#/$defs/id' }, values: { type: 'array', minItems: 1, maxItems: 30, items: { type: 'string', minLength: 1, maxLength: 61 } } },
                },
                min: { type: 'number' },
                max: { type: 'number' },
                options: {
                  type: 'array',
                  minItems: 1,
                  maxItems: 30,
                  items: { type: 'object', additionalProperties: false, required: ['value', 'label'], properties: { value: { $ref: '#/$defs/id' }, label: { type: 'string', minLength: 1, maxLength: 200 }, score: { type: 'number' } } },
                },
              },
            },
          },
        },
      },
    },
    scoring: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['section', 'method', 'categories'],
        properties: {
          section: { $ref: '#/$defs/id' },
          method: { enum: ['sum', 'mean', 'max', 'count'] },
          countValue: { type: 'string' },
          categories: {
            type: 'array',
            minItems: 1,
            maxItems: 30,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['id', 'label'],
              properties: { id: { $ref: '#/$defs/id' }, label: { type: 'string', minLength: 1, maxLength: 200 }, min: { type: 'number' }, max: { type: 'number' }, ageMonths: { $ref: '#/$defs/range' } },
            },
          },
        },
      },
    },
  },
  $defs: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,60}$' },
    range: { type: 'object', additionalProperties: false, required: ['min', 'max'], properties: { min: { type: 'integer', minimum: 0 }, max: { type: 'integer', minimum: 0 } } },
  },
} as const;
