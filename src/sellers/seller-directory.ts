import { createHmac } from 'node:crypto';
import { tracedFetch } from '../tracing/tracing.js';
import type { ExternalSeller } from '../storage/ports.js';

/** Settings of the platform's HTTP seller directory (`serve --seller-directory`, docs/adr/0125). */
export interface SellerDirectoryOptions {
  /** Where each seller sign-in is POSTed. */
  url: string;
  /** The shared secret of the request signature (from SHOUQUAN_SELLER_DIRECTORY_SECRET only). */
  secret: string;
  /** No answer within this many ms: sign-in is unavailable (default 3000). */
  timeoutMs: number;
}

/** Default of `--seller-directory-timeout-ms`. */
export const DEFAULT_SELLER_DIRECTORY_TIMEOUT_MS = 3000;

/**
 * Why the directory could not decide (the `reason` label of `shouquan_seller_directory_requests_total`):
 * `timeout` (no answer in time), `connection_error` (refused, reset, DNS), `bad_status` (an HTTP
 * status other than 200/401/403/404), `bad_response` (a 200 whose body is not the documented JSON).
 */
export type DirectoryUnavailableReason = 'timeout' | 'connection_error' | 'bad_status' | 'bad_response';

export type DirectoryAnswer =
  | { kind: 'signed_in'; seller: ExternalSeller }
  | { kind: 'wrong_credentials'; status: number }
  | { kind: 'unavailable'; reason: DirectoryUnavailableReason; detail: string };

/** Longest ids and names taken from the directory (they end up in pages and API answers). */
const MAX_ID = 128;
const MAX_NAME = 200;

/**
 * The signature of one directory request: `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + raw body).
 * The directory recomputes it over the bytes it received and compares in constant time.
 */
export function signDirectoryRequest(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/**
 * Ask the platform's seller directory whether a username and password sign a seller in:
 * `POST url` with `{"username","password"}`, signed with `X-Shouquan-Timestamp` and
 * `X-Shouquan-Signature`. 200 with `{"seller_id","nick","stores":[{"store_id","name"}]}` signs in;
 * 401, 403 and 404 are wrong credentials; anything else, a network error or no answer within
 * the timeout is `unavailable` with the reason.
 */
export async function askSellerDirectory(
  options: SellerDirectoryOptions,
  username: string,
  password: string,
  now: () => number = Date.now,
): Promise<DirectoryAnswer> {
  const body = JSON.stringify({ username, password });
  const timestamp = String(Math.floor(now() / 1000));
  let res: Response;
  let text: string;
  // One budget for the whole exchange, answer body included.
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    res = await tracedFetch('seller directory sign-in', options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-shouquan-timestamp': timestamp,
        'x-shouquan-signature': signDirectoryRequest(options.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal,
    });
    text = await res.text();
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError' || signal.aborted) {
      return { kind: 'unavailable', reason: 'timeout', detail: `no answer within ${options.timeoutMs} ms` };
    }
    return {
      kind: 'unavailable',
      reason: 'connection_error',
      detail: err.cause?.code ?? err.cause?.message ?? err.message,
    };
  }
  if (res.status === 401 || res.status === 403 || res.status === 404)
    return { kind: 'wrong_credentials', status: res.status };
  if (res.status !== 200) return { kind: 'unavailable', reason: 'bad_status', detail: `HTTP ${res.status}` };
  const seller = parseDirectorySeller(text);
  if (typeof seller === 'string') return { kind: 'unavailable', reason: 'bad_response', detail: seller };
  return { kind: 'signed_in', seller };
}

/** The directory's 200 body as a seller, or what is wrong with it. */
export function parseDirectorySeller(text: string): ExternalSeller | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'the 200 answer is not JSON';
  }
  const o = json as Record<string, unknown>;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return 'the 200 answer is not a JSON object';
  // eslint-disable-next-line no-control-regex -- control characters are refused in ids
  const id = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID && !/[\u0000-\u001f]/.test(v);
  const name = (v: unknown) => typeof v === 'string' && v.trim().length > 0 && v.length <= MAX_NAME;
  if (!id(o.seller_id)) return `seller_id must be a non-empty string of at most ${MAX_ID} characters`;
  if (!name(o.nick)) return `nick must be a non-empty string of at most ${MAX_NAME} characters`;
  if (!Array.isArray(o.stores)) return 'stores must be an array';
  const stores: ExternalSeller['stores'] = [];
  const seen = new Set<string>();
  for (const s of o.stores as Array<Record<string, unknown>>) {
    if (!s || typeof s !== 'object' || !id(s.store_id) || !name(s.name)) {
      return `each store must be {"store_id": non-empty string of at most ${MAX_ID}, "name": non-empty string of at most ${MAX_NAME}}`;
    }
    if (seen.has(s.store_id as string)) return `store_id ${JSON.stringify(s.store_id)} is listed twice`;
    seen.add(s.store_id as string);
    stores.push({ externalId: s.store_id as string, name: (s.name as string).trim() });
  }
  return { source: 'directory', externalId: o.seller_id as string, nick: (o.nick as string).trim(), stores };
}
