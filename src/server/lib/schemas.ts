/**
 * Schema fragments for query parameters. Each schema validates the request AND is published in
 * the OpenAPI document; its `description` is the "expected form" a 400 answer quotes, so the docs,
 * the validation and the error messages never drift apart.
 */
export const DATE_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$';

export type ParamSchema = Record<string, unknown> & { description: string };

export const dateParam = (what: string): ParamSchema => ({ type: 'string', pattern: DATE_PATTERN, description: `a date YYYY-MM-DD (${what})` });
export const textParam = (what: string, max = 120): ParamSchema => ({ type: 'string', minLength: 1, maxLength: max, description: `${what}, 1 to ${max} characters` });
export const emailParam = (what: string): ParamSchema => ({ type: 'string', minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$', description: `an e-mail address (${what})` });
export const booleanParam = (what: string): ParamSchema => ({ type: 'boolean', description: `true or false (${what})` });
export const deletedParam: ParamSchema = { type: 'string', enum: ['false', 'true', 'any'], default: 'false', description: 'one of false (default: live rows only), true (deleted rows only) or any' };
export const limitParam = (max: number, dflt = 100): ParamSchema => ({ type: 'integer', minimum: 1, maximum: max, default: Math.min(dflt, max), description: `an integer from 1 to ${max} (page size, default ${Math.min(dflt, max)})` });
export const cursorParam: ParamSchema = { type: 'string', minLength: 1, maxLength: 600, pattern: '^[A-Za-z0-9_-]+$', description: 'the nextCursor of the previous page, unchanged' };

export function querySchema(properties: Record<string, ParamSchema>) {
  return { type: 'object', additionalProperties: false, properties } as const;
}

export function paramsSchema(properties: Record<string, ParamSchema>) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties } as const;
}

export const idParam = (what: string): ParamSchema => ({ type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.:-]+$', description: `${what}: letters, digits, and . _ : -` });

/** Every list and report query may carry these two. */
export type Deleted = 'false' | 'true' | 'any';
