import { formatGmt8, SIGN_METHODS, signString, stringToSign, type SignMethod } from './sign.js';

/**
 * Parameters whose values are credentials. Their values never appear whole in a message, a log
 * line or an audit row (issue 15 finding 7, issue 19 §4): at most a short prefix.
 */
export const CREDENTIAL_PARAMS = new Set([
  'session',
  'access_token',
  'refresh_token',
  'code',
  'token',
  'app_secret',
  'client_secret',
  'secret',
  'password',
  'sign',
]);

/** The most of a credential any message shows: its first 4 characters and its length. */
export function credentialPrefix(value: string): string {
  return value.length <= 4 ? `…(${value.length} chars)` : `${value.slice(0, 4)}…(${value.length} chars)`;
}

/** Parameters with credential values cut to a prefix (for the string to sign shown in `sub_msg`). */
export function maskCredentials(params: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of params) out.set(k, CREDENTIAL_PARAMS.has(k) && v !== '' ? credentialPrefix(v) : v);
  return out;
}

/** Names of the parameters sent with an empty value (the `sign` itself aside). */
export function emptyParams(params: Map<string, string>): string[] {
  return [...params].filter(([k, v]) => k !== 'sign' && v === '').map(([k]) => k);
}

/**
 * The strings a signature may cover (issue 19 §4): empty-valued parameters left out (Taobao's
 * Java SDK, TOP's own rule) and, when there are any, kept (node-taobao-topclient and other SDKs
 * that sign every parameter they send).
 */
export function candidateStrings(params: Map<string, string>): string[] {
  // One pass over the names and one sort (every signed call comes here): the same strings as
  // `stringToSign` with and without `keepEmpty` (docs/adr/0188). Map keys are distinct, so the
  // default sort (UTF-16 code units) orders them as stringToSign's comparator does.
  const names: string[] = [];
  let empties = false;
  for (const [name, value] of params) {
    if (name === 'sign') continue;
    if (value === '') empties = true;
    names.push(name);
  }
  names.sort();
  let without = '';
  let kept = '';
  for (const name of names) {
    const value = params.get(name)!;
    if (value !== '') without += name + value;
    if (empties) kept += name + value;
  }
  return empties ? [without, kept] : [without];
}

export interface SecretOnFile {
  /** The secret that signs now. */
  current: string;
  /** The previous secret and until when it signed (ms), when a rotation left one on file. */
  previous?: { secret: string; until: number };
}

/**
 * Why a signature did not match, in words an ISV can act on: signed with another `sign_method`,
 * with the AppSecret from before a rotation, or the empty parameters. Then the string the server
 * signed, credentials cut to a prefix. Runs only after the signature failed.
 */
export function explainSignatureMismatch(
  params: Map<string, string>,
  presented: string,
  method: SignMethod,
  secrets: SecretOnFile,
  now: number,
): string {
  const texts = candidateStrings(params);
  const causes: string[] = [];
  const matches = (secret: string, m: SignMethod) => texts.some((t) => signString(t, secret, m) === presented);
  const other = SIGN_METHODS.find((m) => m !== method && matches(secrets.current, m));
  if (other) causes.push(`the request was signed with sign_method ${other} but says ${method}`);
  const prev = secrets.previous;
  if (prev && prev.until <= now && SIGN_METHODS.some((m) => matches(prev.secret, m))) {
    causes.push(
      `it was signed with the AppSecret from before the last rotation, which stopped signing at ${formatGmt8(prev.until)} (GMT+8): sign with the current AppSecret`,
    );
  } else if (prev && now - prev.until < 30 * 86_400_000) {
    causes.push(
      `the AppSecret was rotated (the previous one ${prev.until > now ? 'signs until' : 'stopped signing at'} ${formatGmt8(prev.until)} GMT+8): does the client use the current one?`,
    );
  }
  const empty = emptyParams(params);
  if (empty.length > 0)
    causes.push(
      `empty parameters (${empty.join(', ')}) were tried both left out and kept; leave them out or send a value`,
    );
  if (causes.length === 0)
    causes.push('the wrong AppSecret, or parameters changed after signing (check the encoding: UTF-8)');
  const shownText = stringToSign(maskCredentials(params));
  const shown =
    method === 'md5'
      ? `MD5(secret + "${shownText}" + secret)`
      : `${method === 'hmac' ? 'HMAC-MD5' : 'HMAC-SHA256'}(secret, "${shownText}")`;
  return `the signature does not match; likely cause: ${causes.join('; ')}. The server signed ${shown} as UTF-8 (credentials shortened here)`;
}

/** Eight hours: a client that sends UTC (or its own zone's) wall-clock time as GMT+8 is this far off. */
const EIGHT_HOURS_MS = 8 * 3600_000;

/** The `sub_msg` of a timestamp outside the allowed skew, naming the likely cause. */
export function explainTimestampSkew(timestamp: string, at: number, now: number, skewSeconds: number): string {
  const off = now - at;
  const base = `timestamp ${timestamp} is more than ${skewSeconds} seconds away from the server time ${formatGmt8(now)} (GMT+8)`;
  if (Math.abs(Math.abs(off) - EIGHT_HOURS_MS) <= Math.max(skewSeconds * 1000, 15 * 60_000)) {
    return `${base}; it is about 8 hours off: is the client's clock or zone UTC? timestamps are GMT+8`;
  }
  const hours = Math.round(Math.abs(off) / 3600_000);
  if (hours >= 1 && Math.abs(Math.abs(off) - hours * 3600_000) <= Math.max(skewSeconds * 1000, 15 * 60_000)) {
    return `${base}; it is about ${hours} hour${hours === 1 ? '' : 's'} ${off > 0 ? 'behind' : 'ahead'}: is the client's zone set right? timestamps are GMT+8`;
  }
  return `${base}; check the client's clock`;
}
