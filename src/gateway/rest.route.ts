import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../core/errors.js';
import { bearerToken } from '../core/bearer.js';
import { GATEWAY_CODES, GatewayError, invalidArgument, invalidRequest, restStatus } from './errors.js';
import { authenticateSession, executeMethod, logDecision, type Gateway } from './gateway.js';
import type { Args } from './methods/method.js';
import type { CallTrace } from './call-log.js';

/** Request arguments: path parameters, then query, then a JSON or form body; a name given twice is refused. */
function collectArgs(request: FastifyRequest): Args {
  const args: Args = new Map();
  const add = (k: string, v: unknown) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v) || typeof v === 'object') throw invalidArgument(k, 'must be a single value');
    if (args.has(k)) throw invalidArgument(k, 'is given more than once');
    args.set(k, String(v));
  };
  for (const [k, v] of Object.entries((request.params as Record<string, string>) ?? {})) add(k, v);
  for (const [k, v] of Object.entries((request.query as Record<string, unknown>) ?? {})) add(k, v);
  const body = request.body;
  if (body instanceof Map) {
    for (const [k, v] of body as Map<string, string[]>) add(k, v.length === 1 ? v[0] : v);
  } else if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body))
      throw invalidRequest('isv.invalid-request', 'the request body must be a JSON object or a form');
    for (const [k, v] of Object.entries(body)) add(k, v);
  } else if (
    request.method !== 'GET' &&
    request.headers['content-type'] &&
    !/json|x-www-form-urlencoded/i.test(request.headers['content-type'])
  ) {
    throw invalidRequest(
      'isv.invalid-request',
      'send the body as application/json or application/x-www-form-urlencoded',
    );
  }
  return args;
}

function sendRestError(reply: FastifyReply, request: FastifyRequest, e: GatewayError): FastifyReply {
  const { status, error } = restStatus(e);
  const description = e.subMsg ?? e.msg;
  if (e.code === 26) reply.header('www-authenticate', 'Bearer realm="shouquan"');
  else if (status === 401 || status === 403)
    reply.header(
      'www-authenticate',
      `Bearer realm="shouquan", error="${error}", error_description="${description.replace(/["\\]/g, "'")}"`,
    );
  if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
  return reply
    .code(status)
    .send({ error, error_description: description, code: e.code, sub_code: e.subCode, request_id: request.id });
}

/**
 * The REST face of the gateway methods under `/api/v1/…`, for ISVs who don't sign: the
 * seller's token in `Authorization: Bearer` (RFC 6750 §2.1), the same grant checks, quota
 * and data as the router.
 */
export async function restRoutes(app: FastifyInstance, gw: Gateway): Promise<void> {
  const errorHandler = (error: Error, request: FastifyRequest, reply: FastifyReply) => {
    const status = (error as { statusCode?: number }).statusCode;
    const e = invalidRequest(
      'isv.invalid-request',
      status === 413 ? 'the request body is too large' : 'the request body could not be parsed',
    );
    logDecision(request.log, 'rest', { error: e });
    return sendRestError(reply, request, e);
  };
  for (const [fullName, method] of gw.methods) {
    const rest = method.rest;
    if (!rest) continue;
    app.route({
      method: rest.method,
      url: rest.path,
      config: { kind: 'api' },
      errorHandler,
      handler: async (request, reply) => {
        const trace: CallTrace = { face: 'rest', method: fullName };
        gw.calls?.track(request, trace);
        try {
          let presented: string | undefined;
          try {
            presented = bearerToken(request.headers.authorization);
          } catch (e) {
            if (e instanceof OAuthError)
              throw new GatewayError(GATEWAY_CODES.invalidSession, 'invalid-sessionkey', e.description);
            throw e;
          }
          if (presented === undefined)
            throw new GatewayError(
              GATEWAY_CODES.missingSession,
              'missing-sessionkey',
              'an access token is required in Authorization: Bearer',
            );
          const token = await authenticateSession(gw, presented);
          trace.appKey = token.appKey;
          trace.appKnown = true;
          trace.storeId = token.grant.storeId;
          trace.sellerId = token.grant.sellerId;
          const found = await gw.storage.apps.findForCall(token.appKey);
          const appRecord = found?.app;
          if (!appRecord || appRecord.status === 'suspended')
            throw new GatewayError(
              GATEWAY_CODES.invalidSession,
              'invalid-sessionkey',
              'the app of this token is suspended',
            );
          const args = collectArgs(request);
          const result = await executeMethod(gw, {
            fullName,
            method,
            app: appRecord,
            token,
            args,
            requestId: request.id,
            settings: found.settings,
            trace,
          });
          logDecision(request.log, 'rest', trace);
          return reply.code(rest.status ?? 200).send(result);
        } catch (e) {
          logDecision(request.log, 'rest', { ...trace, error: e });
          trace.error = e;
          if (e instanceof GatewayError) return sendRestError(reply, request, e);
          throw e;
        }
      },
    });
  }
}
