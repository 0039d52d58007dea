import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying `sha256=<hex>`: HMAC-SHA256 of the raw body keyed with the AppSecret. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-shouquan-signature';
/**
 * The header naming the event (`authorization.revoked`, `authorization.replaced`, or a message topic such as
 * `trade.paid`).
 */
export const WEBHOOK_EVENT_HEADER = 'x-shouquan-event';

/**
 * A push (the body of a webhook POST): an authorization change, or a message service event
 * (`event` is its topic, `data` its body; docs/gateway.md#message-service). Dedupe by
 * `event_id`: delivery is at least once.
 */
export interface WebhookEvent {
  event: 'authorization.revoked' | 'authorization.replaced' | string;
  event_id: string;
  app_key: string;
  seller_id: number;
  store_id: number;
  reason?: string;
  occurred_at?: string;
  /** For `authorization.replaced`: the store of the authorization that replaced it. */
  new_store_id?: number;
  /** For a message service event: the event as published. */
  data?: Record<string, unknown>;
  [field: string]: unknown;
}

/** The `sha256=<hex>` value the server sends for a body. */
export function webhookSignature(appSecret: string, rawBody: string | Uint8Array): string {
  const mac = createHmac('sha256', Buffer.from(appSecret, 'utf8'));
  mac.update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody);
  return `sha256=${mac.digest('hex')}`;
}

/**
 * Check a webhook's signature in constant time. Pass the body exactly as received (bytes or
 * the undecoded string), never a re-serialised JSON object: any byte changed breaks the MAC.
 */
export function verifyWebhookSignature(
  appSecret: string,
  rawBody: string | Uint8Array,
  signatureHeader: string | string[] | undefined | null,
): boolean {
  const header = Array.isArray(signatureHeader) ? signatureHeader[0] : signatureHeader;
  if (typeof header !== 'string') return false;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return false;
  const expected = Buffer.from(webhookSignature(appSecret, rawBody).slice('sha256='.length), 'hex');
  const given = Buffer.from(m[1]!.toLowerCase(), 'hex');
  return timingSafeEqual(expected, given);
}

/**
 * Verify and parse a webhook. Throws a clear error when the signature is missing or wrong
 * (answer such a request with 401 and do not act on it).
 */
export function parseWebhook(
  appSecret: string,
  rawBody: string | Uint8Array,
  headers: Record<string, string | string[] | undefined> | Headers,
): WebhookEvent {
  const signature =
    headers instanceof Headers ? headers.get(WEBHOOK_SIGNATURE_HEADER) : lowerGet(headers, WEBHOOK_SIGNATURE_HEADER);
  if (signature === undefined || signature === null)
    throw new WebhookSignatureError(`the webhook has no ${WEBHOOK_SIGNATURE_HEADER} header`);
  if (!verifyWebhookSignature(appSecret, rawBody, signature))
    throw new WebhookSignatureError(
      `the ${WEBHOOK_SIGNATURE_HEADER} header does not match the body (is the AppSecret right, and is the body unmodified?)`,
    );
  const text = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  return JSON.parse(text) as WebhookEvent;
}

/** A webhook whose signature is missing or does not match. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

function lowerGet(headers: Record<string, string | string[] | undefined>, name: string): string | string[] | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}
