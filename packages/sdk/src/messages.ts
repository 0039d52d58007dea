import { ApiError, ShouquanError } from './errors.js';

/** One message of the message service (`GET /api/v1/messages`). Dedupe on `id`: delivery is at least once. */
export interface Message {
  id: string;
  /** `trade.paid`, `item.updated`, … (docs/gateway.md#topics). */
  topic: string;
  seller_id: number;
  store_id: number | string;
  /** When it was published (RFC 3339). */
  created_at: string;
  data: Record<string, unknown>;
}

export interface MessageConsumerOptions {
  /** The server, e.g. https://auth.example.com. */
  baseUrl: string;
  appKey: string;
  appSecret: string;
  /** Messages per pull, 1 to 100 (default 100). */
  max?: number;
  /** Long poll: seconds a pull waits for a first message, 0 to 20 (default 20). */
  wait?: number;
  /** fetch implementation (default the global one). */
  fetch?: typeof fetch;
}

export interface RunOptions {
  /** Stop the loop: the pull in progress is abandoned, nothing else is acknowledged. */
  signal?: AbortSignal;
  /** Told about a failed pull or acknowledgement, or a handler that threw (the loop goes on). Default: ignore. */
  onError?: (error: unknown, message?: Message) => void;
  /** Seconds to wait after a failed pull before the next one (default 2). */
  retrySeconds?: number;
}

/**
 * Pull consumer of the message service, for ISVs behind firewalls: `pull()` and `ack()` one by
 * one, or `run(handler)`: pull (long poll) → call the handler for each message in order →
 * acknowledge those it handled. A message whose handler throws is not acknowledged and comes
 * back after the server's visibility timeout (60 s by default), so make handlers idempotent
 * (dedupe on `message.id`).
 */
export class MessageConsumer {
  private readonly baseUrl: string;
  private readonly auth: string;
  private readonly max: number;
  private readonly wait: number;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: MessageConsumerOptions) {
    if (!opts.baseUrl) throw new TypeError('baseUrl is required, e.g. https://auth.example.com');
    if (!opts.appKey || !opts.appSecret) throw new TypeError('appKey and appSecret are required');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    // RFC 6749 §2.3.1: form-urlencoded, then Basic.
    const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    this.auth = `Basic ${Buffer.from(`${enc(opts.appKey)}:${enc(opts.appSecret)}`, 'utf8').toString('base64')}`;
    this.max = opts.max ?? 100;
    this.wait = opts.wait ?? 20;
    if (!Number.isInteger(this.max) || this.max < 1 || this.max > 100)
      throw new RangeError('max must be a whole number from 1 to 100');
    if (!Number.isInteger(this.wait) || this.wait < 0 || this.wait > 20)
      throw new RangeError('wait must be a whole number of seconds from 0 to 20');
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  /** One pull: up to `max` messages, waiting up to `wait` seconds for the first. */
  async pull(opts: { max?: number; wait?: number; signal?: AbortSignal } = {}): Promise<Message[]> {
    const q = new URLSearchParams({ max: String(opts.max ?? this.max), wait: String(opts.wait ?? this.wait) });
    const body = await this.request(`/api/v1/messages?${q}`, { method: 'GET', signal: opts.signal });
    return (body as { messages: Message[] }).messages;
  }

  /** Acknowledge messages by id: they are never delivered again. Answers how many were acknowledged now. */
  async ack(ids: string[], signal?: AbortSignal): Promise<number> {
    if (ids.length === 0) return 0;
    let n = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const body = await this.request('/api/v1/messages/ack', {
        method: 'POST',
        body: JSON.stringify({ ids: ids.slice(i, i + 1000) }),
        signal,
      });
      n += (body as { acknowledged: number }).acknowledged;
    }
    return n;
  }

  /** The pull loop: pull → handler (each message, in order) → acknowledge the handled ones; until `signal` aborts. */
  async run(handler: (message: Message) => unknown, opts: RunOptions = {}): Promise<void> {
    const { signal, onError } = opts;
    while (!signal?.aborted) {
      let batch: Message[];
      try {
        batch = await this.pull({ signal });
      } catch (e) {
        if (signal?.aborted) return;
        onError?.(e);
        await sleep((opts.retrySeconds ?? 2) * 1000, signal);
        continue;
      }
      const handled: string[] = [];
      for (const m of batch) {
        if (signal?.aborted) break;
        try {
          await handler(m);
          handled.push(m.id);
        } catch (e) {
          onError?.(e, m);
        }
      }
      try {
        await this.ack(handled);
      } catch (e) {
        // Not acknowledged: those messages come back after the visibility timeout.
        onError?.(e);
      }
    }
  }

  private async request(path: string, init: { method: string; body?: string; signal?: AbortSignal }): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method: init.method,
        headers: {
          authorization: this.auth,
          accept: 'application/json',
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
        body: init.body,
        signal: init.signal,
      });
    } catch (e) {
      throw new ShouquanError(`the message service at ${this.baseUrl} did not answer: ${(e as Error).message}`, {
        kind: 'network',
        cause: e,
      });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.status !== 200) {
      const b = (body ?? {}) as { error?: string; error_description?: string; request_id?: string };
      throw new ApiError(
        `${path.split('?')[0]} answered ${res.status}: ${b.error_description ?? b.error ?? text.slice(0, 200)}`,
        {
          kind: 'api',
          status: res.status,
          error: b.error,
          errorDescription: b.error_description,
          requestId: b.request_id ?? res.headers.get('x-request-id') ?? undefined,
          body,
        },
      );
    }
    return body;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
