import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../core/errors.js';
import { parseFormEncoded, UnreadableInputError, type ParamBag } from '../core/params.js';
import { safeEqual } from '../crypto/tokens.js';
import type { AppRecord, TokenWithGrant } from '../storage/ports.js';
import { GATEWAY_CODES, GatewayError, invalidArgument, invalidRequest } from './errors.js';
import type { GatewayAppRecord } from '../storage/gateway-ports.js';
import { authenticateSession, executeMethod, logDecision, responseKey, type Gateway } from './gateway.js';
import type { Args } from './methods/method.js';
import { openSecretOf } from './secret-seal.js';
import type { CallTrace } from './call-log.js';
import { parseGmt8, SIGN_METHODS, signString, type SignMethod } from './sign.js';
import { candidateStrings, explainSignatureMismatch, explainTimestampSkew } from './sign-diagnosis.js';

/** Public (system) parameters: never passed to a method as arguments. */
const PUBLIC_PARAMS = new Set([
  'method',
  'app_key',
  'session',
  'access_token',
  'timestamp',
  'v',
  'format',
  'sign_method',
  'sign',
  'partner_id',
  'simplify',
  'target_app_key',
]);

/** Parameters of a router call: the query plus a form body (TOP SDKs split them), one value per name. */
function collectParams(request: FastifyRequest): Map<string, string> {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  let bag: ParamBag;
  try {
    bag = parseFormEncoded(q === -1 ? '' : url.slice(q + 1));
    if (request.method === 'POST') {
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type === 'application/x-www-form-urlencoded' && request.body instanceof Map) {
        // All in the body (what SDKs mostly send): the parsed body as it is, read only.
        if (bag.size === 0) bag = request.body as ParamBag;
        else for (const [k, v] of request.body as ParamBag) bag.set(k, [...(bag.get(k) ?? []), ...v]);
      } else if (
        type !== undefined &&
        type !== '' &&
        (request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? '0') > 0)
      ) {
        throw invalidRequest(
          'isv.invalid-content-type',
          'send parameters as application/x-www-form-urlencoded (file uploads are not supported)',
        );
      }
    }
  } catch (e) {
    if (e instanceof OAuthError)
      throw invalidRequest('isv.invalid-encoding', `${e.description}; encode parameters as UTF-8`);
    throw e;
  }
  const out = new Map<string, string>();
  for (const [k, v] of bag) {
    if (v.length > 1) throw invalidArgument(k, 'is repeated');
    out.set(k, v[0] ?? '');
  }
  return out;
}

interface VerifiedCall {
  fullName: string;
  app: AppRecord;
  token?: TokenWithGrant;
  args: Args;
  settings?: GatewayAppRecord;
}

/** A parameter's value; an empty value counts as absent. */
function nonEmpty(params: Map<string, string>, name: string): string | undefined {
  const v = params.get(name);
  return v === undefined || v === '' ? undefined : v;
}

/** Does one of the strings, signed with this secret, give the presented signature? */
function signsAny(texts: string[], secret: string, method: SignMethod, presented: string): boolean {
  for (const text of texts) if (safeEqual(signString(text, secret, method), presented)) return true;
  return false;
}

/** The secret from before the app's last rotation, while one is on file. */
function previousSecret(gw: Gateway, appKey: string, settings: GatewayAppRecord | undefined): string | undefined {
  return settings?.previousSealedSecret
    ? openSecretOf(settings, gw.core.secretKey, appKey, settings.previousSealedSecret)
    : undefined;
}

/** Check a router call's public parameters, app, timestamp, signature and session, in TOP's order. */
async function verifyCall(gw: Gateway, params: Map<string, string>, trace: CallTrace): Promise<VerifiedCall> {
  const fullName = nonEmpty(params, 'method');
  if (fullName === undefined)
    throw new GatewayError(GATEWAY_CODES.missingMethod, 'isv.missing-parameter:method', 'parameter method is required');
  trace.method = fullName;
  const appKey = nonEmpty(params, 'app_key');
  if (appKey === undefined)
    throw new GatewayError(
      GATEWAY_CODES.missingAppKey,
      'isv.missing-parameter:app_key',
      'parameter app_key is required',
    );
  trace.appKey = appKey;
  // One read (cached, docs/adr/0051): the app and its gateway settings (docs/adr/0130).
  const found = await gw.storage.apps.findForCall(appKey);
  const app = found?.app;
  if (app) trace.appKnown = true;
  if (!app || app.status === 'suspended')
    throw new GatewayError(
      GATEWAY_CODES.invalidAppKey,
      'isv.appkey-not-exists',
      `app_key ${appKey} is unknown or suspended`,
    );
  const settings = found.settings;
  // Opened once per cached app record, not on every call (docs/adr/0188).
  const secret = settings?.sealedSecret
    ? openSecretOf(settings, gw.core.secretKey, appKey, settings.sealedSecret)
    : undefined;
  if (secret === undefined)
    throw new GatewayError(
      GATEWAY_CODES.invalidAppKey,
      'isv.appkey-no-secret',
      `app ${appKey} has no signing secret on file; renew its AppSecret to call the gateway`,
    );

  const sign = nonEmpty(params, 'sign');
  if (sign === undefined)
    throw new GatewayError(GATEWAY_CODES.missingSignature, 'isv.missing-parameter:sign', 'parameter sign is required');
  const signMethod = nonEmpty(params, 'sign_method') ?? 'md5';
  if (!SIGN_METHODS.includes(signMethod as SignMethod))
    throw new GatewayError(
      GATEWAY_CODES.invalidArguments,
      'isv.invalid-parameter:sign_method',
      `sign_method must be one of ${SIGN_METHODS.join(', ')}, got "${signMethod}"`,
    );
  const timestamp = nonEmpty(params, 'timestamp');
  if (timestamp === undefined)
    throw new GatewayError(
      GATEWAY_CODES.missingTimestamp,
      'isv.missing-parameter:timestamp',
      'parameter timestamp is required',
    );
  const at = parseGmt8(timestamp);
  if (at === undefined)
    throw new GatewayError(
      GATEWAY_CODES.invalidTimestamp,
      'isv.invalid-parameter:timestamp',
      `timestamp must be "yyyy-MM-dd HH:mm:ss" in GMT+8, got "${timestamp}"`,
    );
  const skew = gw.options.timestampSkewSeconds;
  if (Math.abs(gw.core.now() - at) > skew * 1000) {
    throw new GatewayError(
      GATEWAY_CODES.invalidTimestamp,
      'isv.invalid-parameter:timestamp',
      explainTimestampSkew(timestamp, at, gw.core.now(), skew),
    );
  }
  const v = nonEmpty(params, 'v');
  if (v === undefined)
    throw new GatewayError(GATEWAY_CODES.missingVersion, 'isv.missing-parameter:v', 'parameter v is required (2.0)');
  if (v !== '2.0')
    throw new GatewayError(GATEWAY_CODES.unsupportedVersion, 'isv.invalid-parameter:v', `v must be 2.0, got "${v}"`);
  const format = nonEmpty(params, 'format') ?? 'json';
  if (format !== 'json')
    throw new GatewayError(
      GATEWAY_CODES.invalidFormat,
      'isv.invalid-parameter:format',
      `format must be json, got "${format}"`,
    );

  // Empty-valued parameters left out (TOP's rule, Taobao's Java SDK) or kept (node-taobao-topclient): both are
  // accepted.
  const texts = candidateStrings(params);
  const presented = sign.toUpperCase();
  let signed = signsAny(texts, secret, signMethod as SignMethod, presented);
  // Inside a rotation's overlap window the previous secret still signs (docs/adr/0060).
  const previousUntil = settings?.previousSecretExpiresAt ?? 0;
  if (!signed && previousUntil > gw.core.now()) {
    const previous = previousSecret(gw, appKey, settings);
    if (previous !== undefined) signed = signsAny(texts, previous, signMethod as SignMethod, presented);
  }
  if (!signed) {
    // Only now, for the error's likely cause: which secret, method or form would have matched.
    const previous = previousSecret(gw, appKey, settings);
    const secrets = {
      current: secret,
      previous: previous === undefined ? undefined : { secret: previous, until: previousUntil },
    };
    throw new GatewayError(
      GATEWAY_CODES.invalidSignature,
      'isv.invalid-signature',
      explainSignatureMismatch(params, presented, signMethod as SignMethod, secrets, gw.core.now()),
    );
  }

  const method = gw.methods.get(fullName);
  if (!method)
    throw new GatewayError(
      GATEWAY_CODES.invalidMethod,
      'isv.invalid-method',
      `method ${fullName} does not exist (methods start with "${gw.prefix}.")`,
    );
  const args: Args = new Map();
  for (const [k, v] of params) if (!PUBLIC_PARAMS.has(k)) args.set(k, v);
  const session = nonEmpty(params, 'session');
  const accessToken = nonEmpty(params, 'access_token');
  if (session !== undefined && accessToken !== undefined && session !== accessToken) {
    throw new GatewayError(
      GATEWAY_CODES.invalidArguments,
      'isv.invalid-parameter:session',
      'session and access_token disagree; send one',
    );
  }
  let token: TokenWithGrant | undefined;
  if (method.needsSession) {
    const presented = session ?? accessToken;
    if (presented === undefined)
      throw new GatewayError(
        GATEWAY_CODES.missingSession,
        'missing-sessionkey',
        `method ${fullName} needs the seller's access token in session`,
      );
    token = await authenticateSession(gw, presented, appKey);
    trace.storeId = token.grant.storeId;
    trace.sellerId = token.grant.sellerId;
  }
  return { fullName, app, token, args, settings };
}

function sendError(reply: FastifyReply, request: FastifyRequest, e: GatewayError, status = 200): FastifyReply {
  if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
  const body: Record<string, unknown> = { code: e.code, msg: e.msg };
  if (e.subCode !== undefined) body.sub_code = e.subCode;
  if (e.subMsg !== undefined) body.sub_msg = e.subMsg;
  body.request_id = request.id;
  // TOP answers refusals with HTTP 200 and an error_response body; SDKs read the body.
  return reply.code(status).type('application/json; charset=utf-8').send({ error_response: body });
}

/**
 * The signed router `POST /router/rest` (GET accepted) in the TOP convention: verify the
 * call, enforce the grant, answer `{ "<method>_response": … }` or `{ "error_response": … }`.
 */
export async function routerRoutes(app: FastifyInstance, gw: Gateway): Promise<void> {
  // Response keys computed once per method (`shouquan_store_get_response`), not per call.
  const responseKeys = new Map([...gw.methods.keys()].map((name) => [name, responseKey(name)]));
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const trace: CallTrace = { face: 'router' };
    gw.calls?.track(request, trace);
    try {
      const params = collectParams(request);
      const call = await verifyCall(gw, params, trace);
      const result = await executeMethod(gw, {
        ...call,
        method: gw.methods.get(call.fullName)!,
        requestId: request.id,
        trace,
      });
      logDecision(request.log, 'router', trace);
      return reply.type('application/json; charset=utf-8').send({
        [responseKeys.get(call.fullName) ?? responseKey(call.fullName)]: { ...result, request_id: request.id },
      });
    } catch (e) {
      logDecision(request.log, 'router', { ...trace, error: e });
      trace.error =
        e instanceof GatewayError
          ? e
          : new GatewayError(
              GATEWAY_CODES.remoteServiceError,
              'isp.unknown-error',
              'an unexpected error occurred; try again later',
            );
      return sendError(reply, request, trace.error as GatewayError);
    }
  };
  const errorHandler = (error: Error, request: FastifyRequest, reply: FastifyReply) => {
    logDecision(request.log, 'router', { error: new GatewayError(GATEWAY_CODES.invalidArguments) });
    // A NUL byte or invalid UTF-8 (src/server/input-guard.ts): 400 on every route, the router included.
    if (error instanceof UnreadableInputError) {
      return sendError(
        reply,
        request,
        invalidRequest('isv.invalid-encoding', `${error.description}; encode parameters as UTF-8`),
        400,
      );
    }
    const status = (error as { statusCode?: number }).statusCode;
    const msg = status === 413 ? 'the request body is too large' : 'the request could not be parsed';
    return sendError(reply, request, invalidRequest('isv.invalid-request', msg));
  };
  app.route({ method: ['GET', 'POST'], url: '/router/rest', config: { kind: 'api' }, errorHandler, handler });
}
