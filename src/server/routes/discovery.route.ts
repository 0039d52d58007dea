import type { FastifyInstance } from 'fastify';
import { HEAD_SAFE } from '../methods.js';
import type { HttpContext } from '../http-context.js';

/** Authorization server metadata (RFC 8414 §2) describing the active profile's real endpoints. */
export function serverMetadata(ctx: HttpContext): Record<string, unknown> {
  const { issuer, profile } = ctx.core;
  const base = issuer.replace(/\/$/, '');
  return {
    issuer,
    authorization_endpoint: base + profile.paths.authorize,
    token_endpoint: base + profile.paths.token,
    revocation_endpoint: base + profile.paths.revoke,
    introspection_endpoint: base + profile.paths.introspect,
    response_types_supported: profile.authorize.responseTypes,
    response_modes_supported: profile.authorize.responseTypes.map((t) => (t === 'code' ? 'query' : 'fragment')),
    grant_types_supported: [
      ...profile.token.grantTypes,
      ...(profile.authorize.responseTypes.includes('token') ? ['implicit'] : []),
    ],
    scopes_supported: Object.keys(profile.scopes),
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    authorization_response_iss_parameter_supported: true,
    service_documentation: `${base}/docs`,
  };
}

export async function discoveryRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  app.get(
    '/.well-known/oauth-authorization-server',
    { ...HEAD_SAFE, config: { kind: 'plain' } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return serverMetadata(ctx);
    },
  );
}
