import type { Random } from './random';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The part of JSON Schema (OpenAPI 3.1) the API's document uses. */
export interface Schema {
  type?: string;
  enum?: Json[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  /** OpenAPI 3.1 (JSON Schema 2020-12): a number; null is `anyOf` with `{type: 'null'}`. */
  exclusiveMinimum?: number;
  pattern?: string;
  format?: string;
  const?: Json;
}

/** Strings that satisfy the document's patterns; the generator takes the first that matches. */
const PATTERN_SAMPLES = ['photo123_456', 'photo-100_200_ab12', '09:30', '23:59', '00:00', '+79001234567'];
const TEXT = 'abc XYZ 019 привет ёЖ -_.,!?';
const DAY_MS = 86_400_000;

function sampleText(random: Random, min: number, max: number): string {
  const length = random.between(min, Math.min(max, min + 24));
  let text = '';
  while (text.trim().length < length) text += random.pick([...TEXT]);
  return text.slice(0, Math.max(length, min));
}

function isoDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** A valid value of a schema, drawn from the seeded source; `now` anchors dates and instants. */
export function sample(schema: Schema, random: Random, now: number): Json {
  if (schema.anyOf) {
    // null where allowed, now and then; otherwise one of the others.
    const values = schema.anyOf.filter((option) => option.type !== 'null');
    const nullable = values.length < schema.anyOf.length;
    if (values.length === 0 || (nullable && random.chance(0.1))) return null;
    return sample(random.pick(values), random, now);
  }
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return random.pick(schema.enum);
  switch (schema.type) {
    case 'object': {
      const value: Record<string, Json> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(name) || random.chance(0.5))
          value[name] = sample(property, random, now);
      }
      if (typeof schema.additionalProperties === 'object') {
        for (let i = random.between(0, 3); i > 0; i--)
          value[`k${i}`] = sample(schema.additionalProperties, random, now);
      }
      return value;
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      const count = random.between(min, Math.min(schema.maxItems ?? min + 3, min + 3));
      return Array.from({ length: count }, () => sample(schema.items ?? {}, random, now));
    }
    case 'string': {
      // Dates mostly of late, sometimes at the far ends the format allows.
      if (schema.format === 'date-time')
        return random.chance(0.8)
          ? new Date(now - random.between(0, 3 * DAY_MS)).toISOString()
          : random.pick([
              '0000-02-29T00:00:00Z',
              '1970-01-01T00:00:00.000+23:59',
              '9999-12-31T23:59:59.999999999-23:59',
            ]);
      if (schema.format === 'date')
        return random.chance(0.8)
          ? isoDate(now - random.between(0, 60) * DAY_MS)
          : random.pick(['0000-02-29', '0001-01-01', '1970-01-01', '9999-12-31']);
      if (schema.format === 'email') return 'user@example.com';
      if (schema.pattern) {
        const pattern = new RegExp(schema.pattern);
        return PATTERN_SAMPLES.find((candidate) => pattern.test(candidate)) ?? 'x';
      }
      return sampleText(random, schema.minLength ?? 0, schema.maxLength ?? 40);
    }
    case 'integer': {
      const maximum = schema.maximum ?? 1000;
      // An integer up to 2^53 is an instant here (events' `at`) or an id: both small and "now" fit.
      if (maximum > 1e12)
        return random.chance(0.5) ? now - random.between(0, 3600_000) : random.between(1, 3);
      const minimum =
        schema.exclusiveMinimum !== undefined
          ? Math.floor(schema.exclusiveMinimum) + 1
          : (schema.minimum ?? 0);
      return random.between(minimum, Math.min(maximum, minimum + 100));
    }
    case 'number':
      return random.next() * 100;
    case 'boolean':
      return random.chance(0.5);
    case 'null':
      return null;
    default:
      return random.pick(['x', 1, true]);
  }
}
