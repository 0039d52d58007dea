import { createHash, createHmac } from 'node:crypto';

/** The signature algorithms of the router's TOP convention. */
export type SignMethod = 'md5' | 'hmac' | 'hmac-sha256';

/** Every accepted `sign_method`. */
export const SIGN_METHODS: readonly SignMethod[] = ['md5', 'hmac', 'hmac-sha256'];

/** A router parameter value before it is written as text. */
export type ParamValue =
  string | number | boolean | bigint | Date | null | undefined | readonly unknown[] | Record<string, unknown>;

/**
 * The string that is signed (TOP "请求加签"): every parameter except `sign` and empty values,
 * sorted by name in byte order of the UTF-8 names, each written as `name` then `value`.
 */
export function stringToSign(params: Record<string, string>): string {
  const entries: Array<{ name: string; text: string; key?: Buffer }> = [];
  let ascii = true;
  for (const [name, value] of Object.entries(params)) {
    if (name === 'sign' || value === '' || value === undefined) continue;
    entries.push({ name, text: name + value });
    // eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL on purpose
    if (ascii && !/^[\x00-\x7f]*$/.test(name)) ascii = false;
  }
  if (ascii) {
    // ASCII names: UTF-16 code-unit order is byte order.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } else {
    for (const e of entries) e.key = Buffer.from(e.name, 'utf8');
    entries.sort((a, b) => Buffer.compare(a.key!, b.key!));
  }
  return entries.map((e) => e.text).join('');
}

/**
 * Sign router parameters: `md5` = MD5(secret + string + secret); `hmac` = HMAC-MD5 and
 * `hmac-sha256` = HMAC-SHA256 of the string keyed with the secret. Uppercase hex; UTF-8
 * throughout, so Chinese values sign the same as on the server.
 */
export function signParams(params: Record<string, string>, secret: string, method: SignMethod): string {
  const text = stringToSign(params);
  switch (method) {
    case 'md5':
      return createHash('md5')
        .update(secret + text + secret, 'utf8')
        .digest('hex')
        .toUpperCase();
    case 'hmac':
      return createHmac('md5', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex').toUpperCase();
    case 'hmac-sha256':
      return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex').toUpperCase();
    default:
      throw new TypeError(`unknown sign_method ${String(method)}: use md5, hmac or hmac-sha256`);
  }
}

const GMT8_MS = 8 * 3600 * 1000;

/** The router's `timestamp`: `yyyy-MM-dd HH:mm:ss` in GMT+8 (the platforms' clock). */
export function formatTimestamp(ms: number): string {
  return new Date(ms + GMT8_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Write a parameter value as the text that is sent and signed: strings as they are,
 * numbers and booleans with `String()`, dates as GMT+8 timestamps, arrays and objects as
 * JSON. `undefined` and `null` mean "leave the parameter out".
 */
export function paramText(value: ParamValue): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return formatTimestamp(value.getTime());
  return JSON.stringify(value);
}
