// Request-body schemas: a few small typed validators. A bad field answers 400 naming the field, what it must be
// and what came instead. Unknown fields are ignored (SRS Stack's console sends extra ones, such as token).
// Each validator also describes itself as JSON Schema, from which openapi.ts builds the OpenAPI document.
import { badRequest } from '../errors.js';

/** A JSON Schema (the subset OpenAPI 3.1 uses), as plain JSON. */
export type JsonSchema = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Validates one value; throws a 400 ApiError naming the field. */
export interface Field<T> {
  parse(value: unknown, name: string): T;
  /** what the field must be, for messages */
  readonly expects: string;
  /** the field as JSON Schema (validators without one are documented by `expects`) */
  readonly json?: JsonSchema;
  /** true when the field may be left out */
  readonly optional?: boolean;
}

/** The JSON Schema of a field: its own, or one made from what it expects. */
export function jsonSchemaOf(f: Field<unknown>): JsonSchema {
  return f.json ?? { description: f.expects };
}

export type Infer<F> = F extends Field<infer T> ? T : never;

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function fail(name: string, expects: string, got: unknown): never {
  throw badRequest(`field "${name}" must be ${expects}, got ${got === undefined ? 'nothing' : kind(got)}; fix the JSON body`);
}

export interface StringOptions {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** what the pattern means, for the message */
  patternHint?: string;
}

export function str(o: StringOptions = {}): Field<string> {
  const min = o.min ?? 0;
  const max = o.max ?? 4096;
  const expects =
    (min > 0 ? `a string of ${min} to ${max} characters` : `a string of at most ${max} characters`) +
    (o.patternHint ? ` (${o.patternHint})` : '');
  const json: JsonSchema = { type: 'string', maxLength: max, description: expects };
  if (min > 0) json.minLength = min;
  if (o.pattern) json.pattern = o.pattern.source;
  return {
    expects,
    json,
    parse(v, name) {
      if (typeof v !== 'string' || v.length < min || v.length > max || (o.pattern && !o.pattern.test(v))) fail(name, expects, v);
      return v;
    },
  };
}

export function bool(): Field<boolean> {
  const expects = 'true or false';
  return {
    expects,
    json: { type: 'boolean' },
    parse(v, name) {
      if (typeof v !== 'boolean') fail(name, expects, v);
      return v;
    },
  };
}

export function int(min: number, max: number): Field<number> {
  const expects = `an integer from ${min} to ${max}`;
  return {
    expects,
    json: { type: 'integer', minimum: min, maximum: max },
    parse(v, name) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(name, expects, v);
      return v;
    },
  };
}

/** An http:// or https:// URL. */
export function httpUrl(): Field<string> {
  const expects = 'an http:// or https:// URL';
  return {
    expects,
    json: { type: 'string', format: 'uri', maxLength: 2048, description: expects },
    parse(v, name) {
      if (typeof v !== 'string' || v.length > 2048) fail(name, expects, v);
      try {
        const u = new URL(v);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(name, expects, v);
      } catch {
        fail(name, expects, v);
      }
      return v;
    },
  };
}

/** The field may be missing or null (then undefined). */
export function optional<T>(f: Field<T>): Field<T | undefined> {
  return {
    expects: `${f.expects}, or nothing`,
    json: jsonSchemaOf(f),
    optional: true,
    parse(v, name) {
      return v === undefined || v === null ? undefined : f.parse(v, name);
    },
  };
}

export type Shape = Record<string, Field<unknown>>;
export type ObjectOf<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

/** A JSON object with these fields. */
export function object<S extends Shape>(shape: S): Field<ObjectOf<S>> {
  const expects = 'a JSON object';
  const properties: JsonSchema = {};
  const required: string[] = [];
  for (const [k, f] of Object.entries(shape)) {
    properties[k] = jsonSchemaOf(f);
    if (!f.optional) required.push(k);
  }
  const json: JsonSchema = { type: 'object', properties };
  if (required.length) json.required = required;
  return {
    expects,
    json,
    parse(v, name) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(name, expects, v);
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, f] of Object.entries(shape)) out[k] = f.parse(src[k], name === 'body' ? k : `${name}.${k}`);
      return out as ObjectOf<S>;
    },
  };
}

/** The body schema of a route that takes no fields (besides token). */
export const empty = object({});
