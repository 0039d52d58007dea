import { createHmac, hash } from 'node:crypto';
import type { ParamBag } from '../core/params.js';

/** Signature algorithms of the TOP convention. */
export type SignMethod = 'md5' | 'hmac' | 'hmac-sha256';

/** The accepted `sign_method` values. */
export const SIGN_METHODS: readonly SignMethod[] = ['md5', 'hmac', 'hmac-sha256'];

/**
 * The string that is signed: every parameter except `sign` and empty values, sorted by
 * name (UTF-16 code units, like the SDKs' sorted maps), each written as `name` followed by `value`.
 * File parts never reach here (the router accepts forms only). With `keepEmpty`, empty-valued
 * parameters are written too (`name` alone), as node-taobao-topclient signs them (issue 19 §4).
 */
export function stringToSign(
  params: ParamBag | Map<string, string> | Record<string, string>,
  opts: { keepEmpty?: boolean } = {},
): string {
  const entries: Array<[string, string]> = [];
  const iter: Array<[string, string]> =
    params instanceof Map
      ? [...(params as Map<string, string | string[]>)].map(([k, v]) => [k, Array.isArray(v) ? (v[0] ?? '') : v])
      : Object.entries(params);
  for (const [name, value] of iter) {
    if (name === 'sign' || value === undefined || (value === '' && !opts.keepEmpty)) continue;
    entries.push([name, value]);
  }
  // UTF-16 code-unit order, as the TOP SDKs' sorted maps (Java TreeMap, JS sort) produce.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.map(([k, v]) => k + v).join('');
}

/**
 * Sign a call (TOP "请求加签"): `md5` = MD5(secret + string + secret); `hmac` = HMAC-MD5 and
 * `hmac-sha256` = HMAC-SHA256 of the string keyed with the secret. Uppercase hex, UTF-8 throughout.
 */
export function signParams(
  params: ParamBag | Map<string, string> | Record<string, string>,
  secret: string,
  method: SignMethod,
): string {
  const text = stringToSign(params);
  return signString(text, secret, method);
}

/** Sign an already built string to sign. */
export function signString(text: string, secret: string, method: SignMethod): string {
  switch (method) {
    case 'md5':
      return hash('md5', secret + text + secret, 'hex').toUpperCase();
    case 'hmac':
      return createHmac('md5', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex').toUpperCase();
    case 'hmac-sha256':
      return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex').toUpperCase();
  }
}

/** GMT+8, the platforms' clock for `timestamp` ("yyyy-MM-dd HH:mm:ss"). */
const GMT8_MS = 8 * 3600 * 1000;

/** Parse a `yyyy-MM-dd HH:mm:ss` time in GMT+8 to epoch ms; undefined if malformed. */
export function parseGmt8(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - GMT8_MS;
  const back = new Date(ms + GMT8_MS);
  // Reject impossible dates like 2016-02-31 (Date.UTC would roll them over).
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  )
    return undefined;
  return ms;
}

/** Format epoch ms as `yyyy-MM-dd HH:mm:ss` in GMT+8. */
export function formatGmt8(ms: number): string {
  return new Date(ms + GMT8_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** Milliseconds until the next midnight in GMT+8 (when a daily quota resets). */
export function msUntilNextGmt8Midnight(ms: number): number {
  const day = 24 * 3600 * 1000;
  const local = ms + GMT8_MS;
  return day - (((local % day) + day) % day);
}

/** The GMT+8 calendar day of a time, `yyyy-MM-dd`. */
export function gmt8Day(ms: number): string {
  if (ms >= lastDay.start && ms < lastDay.end) return lastDay.day;
  const end = ms + msUntilNextGmt8Midnight(ms);
  lastDay = { start: end - 24 * 3600 * 1000, end, day: formatGmt8(ms).slice(0, 10) };
  return lastDay.day;
}

/** The GMT+8 day last asked for and its bounds (epoch ms, end excluded): every quota charge asks (docs/adr/0188). */
let lastDay = { start: 0, end: 0, day: '' };
