import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient, parseBasicAuthorization } from '../core/client-auth.js';
import { OAuthError } from '../core/errors.js';
import type { HttpContext } from '../server/http-context.js';
import { retryAfterSeconds } from '../server/throttle.js';
import type { AppRecord } from '../storage/ports.js';
import { MAX_PULL, MAX_WAIT_SECONDS, type MessageService } from './service.js';

/** A refused message API request: `{"error","error_description","request_id"}` with its status. */
class MessageApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

function send(reply: FastifyReply, request: FastifyRequest, e: MessageApiError): FastifyReply {
  if (e.status === 401) reply.header('www-authenticate', 'Basic realm="shouquan-messages"');
  if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
  return reply
    .code(e.status)
    .type('application/json; charset=utf-8')
    .send({ error: e.error, error_description: e.description, request_id: request.id });
}

/**
 * The app's own credentials in `Authorization: Basic` (client_id:client_secret, RFC 6749
 * §2.3.1), checked by the token endpoint's client authentication, under the same failure
 * throttling (per client and per address).
 */
async function authenticateApp(ctx: HttpContext, request: FastifyRequest): Promise<AppRecord> {
  let basic;
  try {
    basic = parseBasicAuthorization(request.headers.authorization);
  } catch (e) {
    if (e instanceof OAuthError) throw new MessageApiError(401, 'invalid_client', e.description);
    throw e;
  }
  if (!basic)
    throw new MessageApiError(
      401,
      'invalid_client',
      'send the app key and secret in Authorization: Basic (client_id:client_secret)',
    );
  const throttle = ctx.throttle;
  const now = ctx.core.now();
  if (throttle) {
    const until = await throttle.store.liveUntil(
      [throttle.clientPerIp.blockKey(request.ip), throttle.clientPerClient.blockKey(basic.clientId)],
      now,
    );
    if (until > now) {
      const seconds = retryAfterSeconds(until - now);
      throw new MessageApiError(
        429,
        'too_many_requests',
        `too many failed client authentication attempts; try again in ${seconds} seconds`,
        seconds,
      );
    }
  }
  try {
    return await authenticateClient(ctx.core, new Map(), basic);
  } catch (e) {
    if (!(e instanceof OAuthError)) throw e;
    if (throttle)
      await Promise.all([throttle.clientPerIp.fail(request.ip), throttle.clientPerClient.fail(basic.clientId)]).catch(
        () => {},
      );
    throw new MessageApiError(401, 'invalid_client', e.description);
  }
}

function intParam(raw: unknown, name: string, min: number, max: number, dflt: number): number {
  if (raw === undefined || raw === '') return dflt;
  if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw))
    throw new MessageApiError(400, 'invalid_request', `${name} must be a whole number from ${min} to ${max}`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new MessageApiError(400, 'invalid_request', `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** Parse `max` and `wait` (seconds) of a pull. */
export function pullParams(max: unknown, wait: unknown): { max: number; waitMs: number } {
  return {
    max: intParam(max, 'max', 1, MAX_PULL, MAX_PULL),
    waitMs: intParam(wait, 'wait', 0, MAX_WAIT_SECONDS, 0) * 1000,
  };
}

/** The ids of an acknowledgement: 1 to 1000 strings. */
export function ackIds(raw: unknown): string[] {
  if (
    !Array.isArray(raw) ||
    raw.length === 0 ||
    raw.length > 1000 ||
    !raw.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 512)
  ) {
    throw new MessageApiError(400, 'invalid_request', 'ids must be a list of 1 to 1000 message ids (strings)');
  }
  return raw as string[];
}

export { MessageApiError };

/**
 * Pull delivery (issue 16 §2): `GET /api/v1/messages?max=100&wait=20` (long poll) and
 * `POST /api/v1/messages/ack` with `{"ids":[…]}`, authenticated with the app's credentials.
 */
export async function messageRoutes(app: FastifyInstance, ctx: HttpContext, messages: MessageService): Promise<void> {
  const fail = (request: FastifyRequest, reply: FastifyReply, e: unknown) => {
    if (e instanceof MessageApiError) return send(reply, request, e);
    throw e;
  };
  app.get('/api/v1/messages', { config: { kind: 'api' } }, async (request, reply) => {
    try {
      const client = await authenticateApp(ctx, request);
      const q = request.query as Record<string, unknown>;
      for (const k of Object.keys(q))
        if (k !== 'max' && k !== 'wait')
          throw new MessageApiError(400, 'invalid_request', `unknown parameter ${k}; use max and wait`);
      const { max, waitMs } = pullParams(q.max, q.wait);
      const aborted = new AbortController();
      reply.raw.once('close', () => aborted.abort());
      const out = await messages.receiveJson(client.appKey, max, waitMs, aborted.signal);
      return reply.type('application/json; charset=utf-8').send(out.json);
    } catch (e) {
      return fail(request, reply, e);
    }
  });
  app.post('/api/v1/messages/ack', { config: { kind: 'api' } }, async (request, reply) => {
    try {
      const client = await authenticateApp(ctx, request);
      const body = request.body;
      if (
        body === undefined ||
        body === null ||
        typeof body !== 'object' ||
        Array.isArray(body) ||
        body instanceof Map
      ) {
        throw new MessageApiError(400, 'invalid_request', 'send {"ids":[…]} as application/json');
      }
      for (const k of Object.keys(body))
        if (k !== 'ids') throw new MessageApiError(400, 'invalid_request', `unknown field "${k}"; send {"ids":[…]}`);
      const ids = ackIds((body as { ids?: unknown }).ids);
      const acknowledged = await messages.ack(client.appKey, ids);
      return reply.send({ acknowledged });
    } catch (e) {
      return fail(request, reply, e);
    }
  });
}
