import type { FastifyRequest } from 'fastify';
import { type FieldError, HttpProblem } from './errors.ts';

/**
 * Text from outside may not hold NUL (PostgreSQL refuses it in text, C libraries cut the string at it) nor a
 * lone UTF-16 surrogate (it has no UTF-8 form: encoders silently replace it, URI encoding throws). Both are
 * refused as a 400 before any handler runs, rather than failing as a 500 half-way through a side effect.
 */
const REASON = 'must not contain a NUL character or a lone surrogate';

const unsafe = (text: string) => text.includes('\u0000') || !text.isWellFormed();

const walkable = (value: unknown): value is Record<string, unknown> | unknown[] => {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  // Parsed JSON, or the dictionaries of query, params and headers (whose prototype chains skip Object):
  // never a stream, buffer or other class instance.
  return !(value instanceof Object) || Object.getPrototypeOf(value) === Object.prototype;
};

/** The first string (value or key) in `value` that is not safe text, named as a field under `where`. */
export function findUnsafeText(value: unknown, where: string): FieldError | undefined {
  // An explicit stack: a body of a million nested arrays is legal JSON and must not overflow the call stack.
  const stack: [unknown, string][] = [[value, where]];
  while (stack.length > 0) {
    const [item, field] = stack.pop() as [unknown, string];
    if (typeof item === 'string') {
      if (unsafe(item)) return { field, message: REASON };
    } else if (walkable(item)) {
      for (const [key, child] of Object.entries(item)) {
        if (unsafe(key)) return { field, message: `its keys ${REASON}` };
        stack.push([child, `${field}.${key}`]);
      }
    }
  }
  return undefined;
}

/** Throws the 400 problem for the first unsafe text in `value`; for input the request hook cannot see. */
export function refuseUnsafeText(value: unknown, where: string): void {
  const found = findUnsafeText(value, where);
  if (found) {
    throw new HttpProblem(400, 'INVALID_TEXT', `${found.field} ${found.message}.`, { errors: [found] });
  }
}

const NOT_UTF8 = 'is not UTF-8';

/** The 400 problem for bytes from outside that are not UTF-8 (`field`: where they came). */
export function notUtf8(field: string): HttpProblem {
  const found = { field, message: NOT_UTF8 };
  return new HttpProblem(400, 'INVALID_TEXT', `${field} ${NOT_UTF8}.`, { errors: [found] });
}

/** Percent-decodes a query part; undefined when its bytes are not UTF-8 (a `%` that escapes nothing stays). */
function queryText(part: string): string | undefined {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' ').replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
  } catch {
    return undefined;
  }
}

/**
 * The query's parser hands on U+FFFD for percent-encoded bytes that are not UTF-8, which would be taken for
 * what the caller typed: the raw query is read for them first.
 */
function refuseQueryNotUtf8(url: string): void {
  const at = url.indexOf('?');
  if (at < 0) return;
  for (const pair of url.slice(at + 1).split('&')) {
    const equals = pair.indexOf('=');
    const key = queryText(equals < 0 ? pair : pair.slice(0, equals));
    if (key === undefined) throw notUtf8('querystring');
    if (equals >= 0 && queryText(pair.slice(equals + 1)) === undefined) throw notUtf8(`querystring.${key}`);
  }
}

/** The kit's preValidation hook: every part of every request is checked before validation and handlers. */
export async function refuseUnsafeRequestText(req: FastifyRequest): Promise<void> {
  refuseUnsafeText(req.params, 'params');
  refuseQueryNotUtf8(req.url);
  refuseUnsafeText(req.query, 'querystring');
  refuseUnsafeText(req.headers, 'headers');
  refuseUnsafeText(req.body, 'body');
}

const englishPlural = new Intl.PluralRules('en');

/** Whether an English count reads as one ("1 ticket") or as many ("2 tickets", "0 tickets"). */
export const isOne = (n: number) => englishPlural.select(n) === 'one';

/** An English count with its noun in the form the number takes: "1 ticket", "2 tickets". */
export function howMany(n: number, one: string, other: string): string {
  return `${n} ${isOne(n) ? one : other}`;
}
