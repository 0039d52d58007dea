import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateClient, parseBasicAuthorization } from '../../core/client-auth.js';
import { introspect } from '../../core/introspection.js';
import { InvalidRequestError } from '../../core/errors.js';
import { rejectDuplicates, type ParamBag } from '../../core/params.js';
import { revoke } from '../../core/revocation.js';
import { handleTokenRequest } from '../../core/token-endpoint.js';
import { formParams, queryParams, type HttpContext } from '../http-context.js';

/**
 * The token endpoint (RFC 6749 §3.2), revocation (RFC 7009) and introspection (RFC 7662).
 * Every answer carries `Cache-Control: no-store` (set in the app's onSend hook).
 */
export async function tokenRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { core } = ctx;
  const profile = core.profile;

  const tokenHandler = async (request: FastifyRequest) => {
    // Only GET and POST are routed here (HEAD and the rest get 405 with Allow: src/server/methods.ts).
    if (request.method !== 'GET' && request.method !== 'POST')
      throw new InvalidRequestError(`the token endpoint does not accept ${request.method}`);
    const method = request.method;
    // A legacy POST may carry everything in the query and have no body at all.
    const bodyless =
      method === 'POST' &&
      profile.token.queryOnPost === true &&
      request.body === undefined &&
      !request.headers['content-type'];
    let params: ParamBag = method === 'GET' ? queryParams(request) : bodyless ? new Map() : formParams(request);
    if (method === 'POST') {
      // RFC 6749 §3.2: credentials belong in the body, never also in the URL,
      // unless a legacy profile's docs POST to a URL with a query (then merged; repeats refused).
      const query = queryParams(request);
      if (profile.token.queryOnPost) params = mergeParams(query, params);
      else rejectQueryOnPost(query);
    }
    const basic = parseBasicAuthorization(request.headers.authorization);
    const result = await handleTokenRequest(core, { method, params, basic });
    if (result.replayed) {
      // The grace window's same successor again (docs/adr/0100): no token was issued.
      ctx.metrics.refreshGraceReplays.inc();
      request.log.info(
        { appKey: result.client.appKey, grantType: result.grantType },
        'refresh retried within the grace window: the same successor again',
      );
    } else {
      ctx.metrics.tokensIssued.inc({ grant_type: result.grantType });
      request.log.info({ appKey: result.client.appKey, grantType: result.grantType }, 'tokens issued');
    }
    return result.body;
  };

  app.post(profile.paths.token, { config: { kind: 'oauth' } }, tokenHandler);
  // GET is answered too, so a client using it learns why it is refused (400, not 404), unless its profile allows it.
  app.get(profile.paths.token, { config: { kind: 'oauth' } }, tokenHandler);

  app.post(profile.paths.revoke, { config: { kind: 'oauth' } }, async (request, reply) => {
    const params = formParams(request);
    rejectDuplicates(params);
    const client = await authenticateClient(core, params, parseBasicAuthorization(request.headers.authorization));
    await revoke(core, client, params);
    request.log.info({ appKey: client.appKey }, 'revocation request');
    return reply.code(200).send();
  });

  app.post(profile.paths.introspect, { config: { kind: 'oauth' } }, async (request) => {
    const params = formParams(request);
    rejectDuplicates(params);
    const client = await authenticateClient(core, params, parseBasicAuthorization(request.headers.authorization));
    return introspect(core, client, params);
  });
}

/** Query and body parameters together; a name in both keeps both values, so it is refused as repeated. */
function mergeParams(query: ParamBag, body: ParamBag): ParamBag {
  const merged: ParamBag = new Map();
  for (const bag of [query, body]) for (const [k, v] of bag) merged.set(k, [...(merged.get(k) ?? []), ...v]);
  return merged;
}

/** Parameters in the query of a POST to the token endpoint are refused, not merged (RFC 6749 §3.2, §2.3.1). */
function rejectQueryOnPost(query: ParamBag): void {
  const name = [...query.keys()].find((k) => k !== '');
  if (name !== undefined)
    throw new InvalidRequestError(`parameter ${name} must be sent in the request body, not the URL`);
}
