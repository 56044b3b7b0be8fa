/** Request body checks that answer with precise 400s (param names as OpenAI uses them). */
import { SIMILARITY_FUNCTIONS, type SimilarityFunction } from '@sbert/core';
import { ApiError } from './api-error.js';

export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, `the request body must be a JSON object, got ${kind(body)}`, null, 'invalid_body');
  }
  return body as Record<string, unknown>;
}

export function kind(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

export interface TextLimits {
  maxInputs: number;
  maxTextLength: number;
}

/** A string or a non-empty array of non-empty strings, within the limits. */
export function textList(value: unknown, param: string, limits: TextLimits): string[] {
  if (value === undefined) throw new ApiError(400, `'${param}' is required`, param, 'missing_required_parameter');
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw new ApiError(400, `'${param}' must be a string or an array of strings, got ${kind(value)}`, param, 'invalid_type');
  if (list.length === 0) throw new ApiError(400, `'${param}' must not be an empty array`, param, 'empty_input');
  if (list.length > limits.maxInputs) throw new ApiError(400, `'${param}' has ${list.length} items; at most ${limits.maxInputs} are allowed per request`, param, 'too_many_inputs');
  list.forEach((t: unknown, i: number) => {
    const p = typeof value === 'string' ? param : `${param}[${i}]`;
    if (typeof t === 'number' || (Array.isArray(t) && t.every((x) => typeof x === 'number'))) {
      throw new ApiError(400, `'${p}' is a token array; this server takes text only`, p, 'invalid_type');
    }
    if (typeof t !== 'string') throw new ApiError(400, `'${p}' must be a string, got ${kind(t)}`, p, 'invalid_type');
    if (t.length === 0) throw new ApiError(400, `'${p}' must not be an empty string`, p, 'empty_input');
    if (t.length > limits.maxTextLength) throw new ApiError(400, `'${p}' has ${t.length} characters; at most ${limits.maxTextLength} are allowed`, p, 'text_too_long');
  });
  return list as string[];
}

export function optionalInt(value: unknown, param: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ApiError(400, `'${param}' must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`, param, 'invalid_value');
  }
  return value;
}

export function optionalChoice<T extends string>(value: unknown, param: string, choices: readonly T[]): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw new ApiError(400, `'${param}' must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(value)}`, param, 'invalid_value');
  }
  return value as T;
}

export function optionalBool(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ApiError(400, `'${param}' must be true or false, got ${JSON.stringify(value)}`, param, 'invalid_type');
  return value;
}

export function optionalString(value: unknown, param: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ApiError(400, `'${param}' must be a string, got ${kind(value)}`, param, 'invalid_type');
  return value;
}

export function optionalSimilarityFn(value: unknown): SimilarityFunction | undefined {
  return optionalChoice(value, 'similarity_fn', SIMILARITY_FUNCTIONS);
}
