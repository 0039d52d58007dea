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
  const getAllowed = Object.values(profile.token.methods).some((m) => m.includes('GET'));

  const tokenHandler = async (request: FastifyRequest) => {
    const method = request.method === 'GET' ? 'GET' : 'POST';
    const params: ParamBag = method === 'GET' ? queryParams(request) : formParams(request);
    if (method === 'POST') {
      // RFC 6749 §3.2: credentials belong in the body, never also in the URL.
      const query = queryParams(request);
      rejectQueryOnPost(query);
    }
    const basic = parseBasicAuthorization(request.headers.authorization);
    const result = await handleTokenRequest(core, { method, params, basic });
    ctx.metrics.tokensIssued.inc({ grant_type: result.grantType });
    request.log.info({ appKey: result.client.appKey, grantType: result.grantType }, 'tokens issued');
    return result.body;
  };

  app.post(profile.paths.token, { config: { kind: 'oauth' } }, tokenHandler);
  if (getAllowed) app.get(profile.paths.token, { config: { kind: 'oauth' } }, tokenHandler);
  else {
    // RFC 6749 §3.2: the client MUST use POST; a GET gets a clear OAuth error, not a bare 404.
    app.get(profile.paths.token, { config: { kind: 'oauth' } }, async () => {
      throw new InvalidRequestError('the token endpoint accepts only POST');
    });
  }

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

/** Parameters in the query of a POST to the token endpoint are refused, not merged (RFC 6749 §3.2, §2.3.1). */
function rejectQueryOnPost(query: ParamBag): void {
  const name = [...query.keys()].find((k) => k !== '');
  if (name !== undefined) throw new InvalidRequestError(`parameter ${name} must be sent in the request body, not the URL`);
}
