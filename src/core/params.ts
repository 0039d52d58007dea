import { InvalidRequestError } from './errors.js';

/** Request parameters as received: every value of every name, in order (RFC 6749 §3.1, §3.2). */
export type ParamBag = Map<string, string[]>;

/** Names that were sent more than once (RFC 6749 §3.1: parameters MUST NOT be repeated). */
export function duplicatedParams(bag: ParamBag): string[] {
  return [...bag].filter(([, v]) => v.length > 1).map(([k]) => k);
}

/** Throw `invalid_request` if any parameter is repeated. */
export function rejectDuplicates(bag: ParamBag): void {
  const dups = duplicatedParams(bag);
  if (dups.length > 0) throw new InvalidRequestError(`parameter ${dups[0]} is repeated`);
}

/**
 * The value of a parameter that may be spelled several ways (e.g. `client_id` / `app_key`).
 * An empty value counts as absent (RFC 6749 §3.1). Two spellings with different values are refused.
 */
export function param(bag: ParamBag, names: string | string[]): string | undefined {
  const list = typeof names === 'string' ? [names] : names;
  let found: string | undefined;
  let foundName = '';
  for (const n of list) {
    const values = bag.get(n);
    if (!values) continue;
    if (values.length > 1) throw new InvalidRequestError(`parameter ${n} is repeated`);
    const v = values[0];
    if (v === undefined || v === '') continue;
    if (found !== undefined && found !== v) throw new InvalidRequestError(`parameters ${foundName} and ${n} disagree`);
    found = v;
    foundName = n;
  }
  return found;
}

/**
 * A NUL byte, invalid UTF-8 or malformed percent-encoding in a request's parameters:
 * `invalid_request`, HTTP 400 on every route (src/server/input-guard.ts), the router included
 * although its other refusals are HTTP 200 in the TOP convention.
 */
export class UnreadableInputError extends InvalidRequestError {}

/**
 * One form-encoded name or value: `+` is a space, then percent-decoding. A text with neither is
 * returned as it is (what decoding would give back), without the two string copies.
 */
function formDecode(raw: string): string {
  const plus = raw.indexOf('+') !== -1;
  if (!plus && raw.indexOf('%') === -1) return raw;
  return decodeURIComponent(plus ? raw.replace(/\+/g, ' ') : raw);
}

/** Parse `application/x-www-form-urlencoded` strictly: malformed percent-encoding and NUL bytes are errors. */
export function parseFormEncoded(text: string): ParamBag {
  const bag: ParamBag = new Map();
  if (text === '') return bag;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    let name: string;
    let value: string;
    try {
      name = formDecode(rawName);
      value = formDecode(rawValue);
    } catch {
      throw new UnreadableInputError('malformed percent-encoding in parameters');
    }
    if (name.includes('\0') || value.includes('\0'))
      throw new UnreadableInputError('parameters may not contain NUL bytes');
    const list = bag.get(name);
    if (list) list.push(value);
    else bag.set(name, [value]);
  }
  return bag;
}
