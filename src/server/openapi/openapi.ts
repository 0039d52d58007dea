import { gatewayMethods } from '../../gateway/methods/index.js';
import { tokenResponseFields } from '../../profiles/profile.js';
import { fieldsSchema, STORE_ID_SCHEMA } from '../../profiles/response-schema.js';

import type { HttpContext } from '../http-context.js';
import { answerOf, argsOf, STORE_ID_ARG, type GatewayMethod } from '../../gateway/methods/method.js';
import type { Profile } from '../../profiles/profile.js';
import { consoleRouteDocs } from './console-docs.js';
import { managementRouteDocs, managementSchemas } from './management-docs.js';
import { MAX_CLOCK_ADVANCE_SECONDS } from '../routes/sandbox.route.js';
import { TOPICS } from '../../messages/topics.js';

/** A route as Fastify registered it. */
export interface RouteInfo {
  method: string;
  url: string;
}

/** One OpenAPI 3.1 operation (the subset we write). */
export interface OperationDoc {
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Array<Record<string, unknown>>;
  requestBody?: Record<string, unknown>;
  responses: Record<string, Record<string, unknown>>;
  security?: Array<Record<string, string[]>>;
}

const json = (schema: Record<string, unknown>, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const redirect = (description: string) => ({
  description,
  headers: { Location: { schema: { type: 'string', format: 'uri' } } },
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const query = (
  name: string,
  description: string,
  required = false,
  schema: Record<string, unknown> = { type: 'string' },
) => ({ name, in: 'query', required, description, schema });
const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

/** Express-style `:id` segments as OpenAPI `{id}`. */
export const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const pathParamsOf = (url: string) => [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);

/** The components name of a gateway method's answer (`orders.list` → `OrdersListAnswer`). */
export const answerName = (m: Pick<GatewayMethod, 'name'>) =>
  `${m.name.replace(/(^|\.)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}Answer`;

/** Every built-in gateway method's answer schema (from its declaration, docs/adr/0166), for `components.schemas`. */
export function methodAnswerSchemas(profile: Profile): Record<string, Record<string, unknown>> {
  return Object.fromEntries(gatewayMethods.map((m) => [answerName(m), answerOf(m, profile)]));
}

/** The documentation of every route the server can register, keyed `METHOD url`. */
export function describeRoutes(ctx: HttpContext): Map<string, OperationDoc> {
  const choice = ctx.core.profile.scopeChoice;
  const { profile } = ctx.core;
  const [idName, secretName] = [
    profile.params.clientId[0] ?? 'client_id',
    profile.params.clientSecret[0] ?? 'client_secret',
  ];
  const clientAuth: Array<Record<string, string[]>> = [{ clientBasic: [] }, { clientPost: [] }];
  const oauthErrors = {
    400: json(ref('OAuthError'), 'RFC 6749 §5.2 error'),
    401: json(ref('OAuthError'), '`invalid_client`, with `WWW-Authenticate`'),
  };
  const docs = new Map<string, OperationDoc>();
  const add = (method: string, url: string, doc: OperationDoc) => docs.set(`${method} ${url}`, doc);

  add('GET', profile.paths.authorize, {
    summary: 'Authorization request (RFC 6749 §4.1.1)',
    description: `Validates the request, then sends the seller's browser to log in and choose a store. Unknown ${idName} or a redirect_uri that does not match the app's callback gets an error page (400), never a redirect; other errors go back to the callback with \`error\`, \`error_description\`, \`state\` and \`iss\` (RFC 9207).`,
    tags: ['OAuth 2.0'],
    parameters: [
      query('response_type', `${profile.authorize.responseTypes.join(' or ')}`, true, {
        type: 'string',
        enum: profile.authorize.responseTypes,
      }),
      query(
        idName,
        `the AppKey${profile.params.clientId.length > 1 ? ` (also accepted as ${profile.params.clientId.slice(1).join(', ')})` : ''}`,
        true,
      ),
      query(
        'redirect_uri',
        'the callback; matched by the profile rule',
        profile.authorize.required.includes('redirect_uri'),
      ),
      query('state', 'opaque value echoed back', profile.authorize.required.includes('state')),
      query(
        'scope',
        `space-separated, limited to the app's scopes; default \`${profile.authorize.defaultScope}\`${
          choice
            ? `. The consent page lists each package (${Object.keys(profile.scopes)
                .filter((k) => !(k in (choice.bundles ?? {})))
                .map((k) => `\`${k}\``)
                .join(
                  ', ',
                )}) as a checkbox; the token response's \`scope\` is what the seller left ticked (\`${choice.alwaysGranted.join(' ')}\` always)`
            : ''
        }`,
        profile.authorize.required.includes('scope'),
      ),
      query('code_challenge', 'PKCE (RFC 7636): base64url SHA-256 of the verifier', profile.requirePkce),
      query('code_challenge_method', 'must be S256 when code_challenge is sent', false, {
        type: 'string',
        enum: ['S256'],
      }),
      ...(profile.authorize.views.length > 0
        ? [query('view', 'page style', false, { type: 'string', enum: profile.authorize.views })]
        : []),
      query('lang', 'page language', false, { type: 'string', enum: ['zh-CN', 'en'] }),
    ],
    responses: {
      303: redirect('to the login/consent page, or an error back to the callback'),
      400: htmlPage('error page: the client or redirect_uri cannot be trusted'),
    },
  });
  add('GET', '/oauth/interaction/:id', {
    summary: 'Seller login or consent page',
    description:
      'Login form (`username`, `password`, `csrf_token`) or, once logged in, the consent form (`store_id`, `decision` = approve | deny). Works without JavaScript.',
    tags: ['Seller pages'],
    parameters: [pathParam('id', 'the interaction')],
    responses: {
      200: htmlPage('login or consent page'),
      400: htmlPage('expired, used, or started in another browser'),
    },
  });
  add('POST', '/oauth/interaction/:id/login', {
    summary: 'Seller login (form post)',
    tags: ['Seller pages'],
    parameters: [pathParam('id', 'the interaction')],
    requestBody: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: {
            type: 'object',
            required: ['csrf_token', 'username', 'password'],
            properties: { csrf_token: { type: 'string' }, username: { type: 'string' }, password: { type: 'string' } },
          },
        },
      },
    },
    responses: {
      303: redirect('logged in: on to consent'),
      401: htmlPage('wrong username or password'),
      403: htmlPage('CSRF check failed'),
      429: htmlPage('too many attempts'),
      503: htmlPage(
        'the platform’s seller directory (serve --seller-directory) did not answer: sign-in is unavailable, try again shortly (with Retry-After)',
      ),
    },
  });
  add('POST', '/oauth/interaction/:id/consent', {
    summary: 'Seller consent (form post)',
    tags: ['Seller pages'],
    parameters: [pathParam('id', 'the interaction')],
    requestBody: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: {
            type: 'object',
            required: ['csrf_token', 'decision'],
            properties: {
              csrf_token: { type: 'string' },
              store_id: { type: 'string' },
              decision: { type: 'string', enum: ['approve', 'deny'] },
            },
          },
        },
      },
    },
    responses: {
      303: redirect('to the callback with `code` (or `error=access_denied`), `state` and `iss`'),
      400: htmlPage('no store chosen, or the request expired'),
      403: htmlPage('CSRF check failed'),
    },
  });

  // Seller login at the platform's OpenID Connect IdP (`serve --seller-oidc-issuer`, docs/adr/0160, 0176).
  const csrfForm = {
    required: true,
    content: {
      'application/x-www-form-urlencoded': {
        schema: { type: 'object', required: ['csrf_token'], properties: { csrf_token: { type: 'string' } } },
      },
    },
  };
  add('POST', '/oauth/interaction/:id/oidc', {
    summary: 'Sign in with the platform account: on to the platform’s OpenID Connect IdP (with --seller-oidc-issuer)',
    tags: ['Seller pages'],
    parameters: [pathParam('id', 'the interaction')],
    requestBody: csrfForm,
    responses: {
      303: redirect('to the IdP’s authorization endpoint (code, PKCE S256, state, nonce)'),
      403: htmlPage('CSRF check failed'),
      503: htmlPage('the IdP could not be discovered: sign-in is unavailable, try again shortly (with Retry-After)'),
    },
  });
  add('POST', '/account/login/oidc', {
    summary: 'Seller center: sign in with the platform account at its OpenID Connect IdP (with --seller-oidc-issuer)',
    tags: ['Seller center'],
    requestBody: csrfForm,
    responses: {
      303: redirect('to the IdP’s authorization endpoint (code, PKCE S256, state, nonce)'),
      403: htmlPage('CSRF check failed'),
      503: htmlPage('the IdP could not be discovered: sign-in is unavailable, try again shortly (with Retry-After)'),
    },
  });
  add('GET', '/oauth/seller-oidc/callback', {
    summary: 'Where the platform’s IdP sends the seller back (register it as the redirect URI)',
    description:
      'The code is exchanged with the PKCE verifier; state, nonce and the ID token are checked. The seller (`sub`) and stores (`stores` claim) are created or updated, a seller session starts, and the authorize request or the seller center resumes.',
    tags: ['Seller pages'],
    responses: {
      303: redirect('signed in: back to the authorize request or /account'),
      400: htmlPage('cancelled at the IdP, or the sign-in expired or was started in another browser'),
      403: htmlPage('the seller is disabled'),
      503: htmlPage('the IdP failed at the token or userinfo endpoint: try again shortly (with Retry-After)'),
    },
  });
  add('POST', '/oauth/seller-oidc/backchannel-logout', {
    summary: 'OpenID Connect Back-Channel Logout 1.0: the platform’s IdP ends the seller sessions a logout token names',
    description:
      'Register it as the client’s `backchannel_logout_uri` (with `backchannel_logout_session_required`). The `logout_token` must be signed with a key of the IdP’s JWKS, from its issuer, for this client, issued in the last 5 minutes, with the back-channel logout event, a `jti` not seen before, `sub` and/or `sid`, and no `nonce`. A `sid` ends the sessions started in that IdP session; a `sub` alone ends every session of that seller.',
    tags: ['OAuth 2.0'],
    requestBody: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: { type: 'object', required: ['logout_token'], properties: { logout_token: { type: 'string' } } },
        },
      },
    },
    responses: {
      200: { description: 'the sessions it names have ended (`Cache-Control: no-store`)' },
      400: json(
        ref('OAuthError'),
        '`invalid_request`: no logout_token, or one that is refused (`error_description` says why)',
      ),
      503: json(
        ref('OAuthError'),
        '`temporarily_unavailable`: the IdP or its keys could not be reached (`Retry-After`)',
      ),
    },
  });

  const grantTypes = profile.token.grantTypes;
  const tokenBody = {
    type: 'object',
    required: ['grant_type'],
    properties: {
      grant_type: { type: 'string', enum: grantTypes },
      code: { type: 'string', description: 'authorization_code: the code' },
      redirect_uri: {
        type: 'string',
        description: 'authorization_code: the redirect_uri of the authorization request',
      },
      code_verifier: { type: 'string', description: 'authorization_code: the PKCE verifier' },
      refresh_token: { type: 'string', description: 'refresh_token: the refresh token' },
      scope: { type: 'string', description: 'refresh_token: a narrower scope' },
      [idName]: { type: 'string', description: 'client_secret_post: the AppKey' },
      [secretName]: { type: 'string', description: 'client_secret_post: the AppSecret' },
    },
  };
  const tokenResponses = {
    200: {
      description: 'tokens, in this profile’s field names (`Cache-Control: no-store`)',
      content: {
        'application/json': {
          schema: {
            oneOf: [
              fieldsSchema(tokenResponseFields(profile, 'code')),
              ...(grantTypes.includes('refresh_token') ? [fieldsSchema(tokenResponseFields(profile, 'refresh'))] : []),
            ],
          },
        },
      },
    },
    ...oauthErrors,
  };
  const grace = ctx.core.lifetimes.refreshGrace;
  const rotation = !grantTypes.includes('refresh_token')
    ? undefined
    : !profile.refresh.rotate
      ? 'refresh_token: the refresh token stays valid (no rotation).'
      : grace > 0
        ? `refresh_token: rotates; the old refresh token presented again within ${grace} s of its rotation, while the new refresh token is unused, gets the very same new tokens (\`expires_in\` counting down; concurrent requests too); otherwise reuse revokes the grant (docs/security.md#refresh-grace-window).`
        : 'refresh_token: rotates; presenting a rotated refresh token again revokes the grant (RFC 9700 §4.14.2).';
  add('POST', profile.paths.token, {
    summary: 'Token endpoint (RFC 6749 §3.2): authorization_code and refresh_token grants',
    ...(rotation ? { description: rotation } : {}),
    tags: ['OAuth 2.0'],
    security: clientAuth,
    requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: tokenBody } } },
    responses: tokenResponses,
  });
  const getGrants = Object.entries(profile.token.methods)
    .filter(([, m]) => m.includes('GET'))
    .map(([g]) => g);
  add('GET', profile.paths.token, {
    summary:
      getGrants.length > 0
        ? `Token endpoint by GET, as this platform documents it (${getGrants.join(', ')})`
        : 'Token endpoint by GET: refused with 400 in this profile (use POST)',
    description:
      'Prefer POST: a GET puts the secret in the URL (logs, proxies, browser history). Shouquan redacts it from its own logs.',
    tags: ['OAuth 2.0'],
    parameters: Object.entries(tokenBody.properties).map(([name, s]) =>
      query(name, (s as { description?: string }).description ?? name, name === 'grant_type'),
    ),
    responses: tokenResponses,
  });
  add('POST', profile.paths.revoke, {
    summary: 'Token revocation (RFC 7009); a refresh token ends its whole grant',
    tags: ['OAuth 2.0'],
    security: clientAuth,
    requestBody: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: {
            type: 'object',
            required: ['token'],
            properties: {
              token: { type: 'string' },
              token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] },
            },
          },
        },
      },
    },
    responses: { 200: { description: 'revoked, or the token was unknown (same answer)' }, ...oauthErrors },
  });
  add('POST', profile.paths.introspect, {
    summary: 'Token introspection (RFC 7662); a client only learns about its own tokens',
    tags: ['OAuth 2.0'],
    security: clientAuth,
    requestBody: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: {
            type: 'object',
            required: ['token'],
            properties: { token: { type: 'string' }, token_type_hint: { type: 'string' } },
          },
        },
      },
    },
    responses: { 200: json(ref('Introspection'), 'token state'), ...oauthErrors },
  });
  add('GET', '/.well-known/oauth-authorization-server', {
    summary: 'Authorization server metadata (RFC 8414) of the active profile',
    tags: ['OAuth 2.0'],
    responses: { 200: json({ type: 'object' }, 'metadata') },
  });
  add('GET', '/api/v1/store', {
    summary: 'A store the access token was granted for: the one `store_id` names, or the token’s only store',
    tags: ['API (REST)'],
    security: [{ bearer: [] }],
    parameters: [query('store_id', STORE_ID_ARG.description, false, { type: 'string' })],
    responses: {
      200: json(
        {
          type: 'object',
          required: ['store_id', 'name'],
          properties: { store_id: STORE_ID_SCHEMA, name: { type: 'string' } },
        },
        'the store',
      ),
      400: json(
        ref('OAuthError'),
        'invalid_request: `store_id` missing (the token covers several stores) or malformed',
      ),
      401: json(ref('OAuthError'), 'invalid_token, with `WWW-Authenticate: Bearer`'),
      404: json(ref('OAuthError'), 'not_found: the store is not one of the token’s'),
    },
  });

  // The signed router: one operation whose description lists every method.
  const prefix = profile.gateway?.methodPrefix ?? 'shouquan';
  const routerParams = [
    query('method', 'API method name', true, {
      type: 'string',
      enum: gatewayMethods.map((m) => `${prefix}.${m.name}`),
    }),
    query('app_key', 'the AppKey', true),
    query('session', 'the seller’s access token (`access_token` also accepted); not needed for auth.token.refresh'),
    query('timestamp', '`yyyy-MM-dd HH:mm:ss` GMT+8, within the allowed skew', true),
    query('v', 'API version', true, { type: 'string', enum: ['2.0'] }),
    query('format', 'response format', false, { type: 'string', enum: ['json'] }),
    query('sign_method', 'signature algorithm', true, { type: 'string', enum: ['md5', 'hmac', 'hmac-sha256'] }),
    query('sign', 'uppercase hex signature of the sorted parameters (docs/gateway.md)', true),
  ];
  const methodList = gatewayMethods
    .map((m) => {
      const args = Object.entries(argsOf(m))
        .map(([n, p]) => `${n}${p.required ? '*' : ''}`)
        .join(', ');
      return `- \`${prefix}.${m.name}\`${m.permission ? ` (${m.permission})` : ''}: ${m.summary}${args ? `. Arguments: ${args}` : ''}`;
    })
    .join('\n');
  const routerDoc = (method: 'GET' | 'POST'): OperationDoc => ({
    summary: 'Signed API router (TOP convention)',
    description: `Public parameters plus the method's own arguments (* required), signed with the AppSecret. Answers \`{ "<method with dots as underscores>_response": {…} }\` or \`{ "error_response": { code, msg, sub_code, sub_msg, request_id } }\`.\n\n${methodList}`,
    tags: ['API (signed router)'],
    ...(method === 'GET'
      ? { parameters: routerParams }
      : {
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  required: routerParams.filter((p) => p.required).map((p) => p.name),
                  properties: Object.fromEntries(routerParams.map((p) => [p.name, p.schema])),
                },
              },
            },
          },
        }),
    responses: {
      200: json(
        {
          anyOf: [
            ...gatewayMethods.map((m) => {
              const key = `${prefix}.${m.name}`.replace(/\./g, '_') + '_response';
              const inner = {
                allOf: [ref(answerName(m)), { type: 'object', properties: { request_id: { type: 'string' } } }],
              };
              return { type: 'object', title: key, required: [key], properties: { [key]: inner } };
            }),
            {
              type: 'object',
              title: 'error_response',
              required: ['error_response'],
              properties: { error_response: ref('RouterError') },
            },
          ],
        },
        'a method response (`<method with dots as underscores>_response`, the method’s answer plus `request_id`) or an error_response',
      ),
    },
  });
  add('GET', '/router/rest', routerDoc('GET'));
  add('POST', '/router/rest', routerDoc('POST'));

  // The REST face of every method that has one.
  for (const m of gatewayMethods) {
    if (!m.rest) continue;
    const inPath = new Set(pathParamsOf(m.rest.path));
    const params = Object.entries(argsOf(m)).map(([name, p]) => ({ ...p, name }));
    const bodyParams = params.filter((p) => !inPath.has(p.name));
    const ok = m.rest.status ?? 200;
    const op: OperationDoc = {
      summary: `${m.summary} (\`${prefix}.${m.name}\`)`,
      tags: ['API (REST)'],
      security: [{ bearer: [] }],
      parameters: [
        ...[...inPath].map((n) => {
          const p = params.find((q) => q.name === n);
          return { ...pathParam(n, p?.description ?? n), schema: p?.schema ?? { type: 'string' } };
        }),
        ...(m.rest.method === 'GET' ? bodyParams.map((p) => query(p.name, p.description, p.required, p.schema)) : []),
      ],
      ...(m.rest.method !== 'GET' && bodyParams.length > 0
        ? {
            requestBody: {
              required: bodyParams.some((p) => p.required),
              content: Object.fromEntries(
                ['application/json', 'application/x-www-form-urlencoded'].map((t) => [
                  t,
                  {
                    schema: {
                      type: 'object',
                      required: bodyParams.filter((p) => p.required).map((p) => p.name),
                      properties: Object.fromEntries(
                        bodyParams.map((p) => [p.name, { ...p.schema, description: p.description }]),
                      ),
                    },
                  },
                ]),
              ),
            },
          }
        : {}),
      responses: {
        [ok]: json(ref(answerName(m)), ok === 201 ? 'created' : 'the method’s answer'),
        400: json(ref('ApiError'), 'invalid_request: a missing or bad argument (`sub_code` names it)'),
        401: json(ref('ApiError'), 'missing or invalid token'),
        403: json(ref('ApiError'), 'outside the app’s permissions or the grant’s scope'),
        404: json(ref('ApiError'), 'not found in this store'),
        429: json(ref('ApiError'), 'call quota exceeded (`Retry-After`)'),
      },
    };
    add(m.rest.method, m.rest.path, op);
  }

  // The message service's pull API (issue 16 §2): the app's own credentials, no seller token.
  const messageErrors = {
    400: json(ref('OAuthError'), 'invalid_request: a bad `max`, `wait` or body'),
    401: json(ref('OAuthError'), 'invalid_client, with `WWW-Authenticate: Basic`'),
    429: json(ref('OAuthError'), 'too many failed client authentications (`Retry-After`)'),
  };
  add('GET', '/api/v1/messages', {
    summary: 'Message service: take messages of the app (long poll), oldest first, in publish order per store',
    description:
      'Each message stays hidden from other consumers for the visibility timeout (`serve --message-visibility-seconds`, 60 s); not acknowledged by then, it is delivered again (at least once: dedupe by `id`). ' +
      'Apps with a webhook URL get their messages pushed, signed, instead. Topics: see the `Topic` schema and docs/gateway.md#message-service.',
    tags: ['API (messages)'],
    security: [{ clientBasic: [] }],
    parameters: [
      query('max', 'at most this many messages, 1 to 100 (default 100)', false, {
        type: 'integer',
        minimum: 1,
        maximum: 100,
      }),
      query('wait', 'seconds to wait for a first message, 0 to 20 (default 0)', false, {
        type: 'integer',
        minimum: 0,
        maximum: 20,
      }),
    ],
    responses: {
      200: json(ref('MessageList'), 'the messages (an empty list when none arrived in time)'),
      ...messageErrors,
    },
  });
  add('POST', '/api/v1/messages/ack', {
    summary: 'Message service: acknowledge messages (they are never delivered again)',
    tags: ['API (messages)'],
    security: [{ clientBasic: [] }],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            required: ['ids'],
            properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string' } } },
          },
        },
      },
    },
    responses: {
      200: json(
        {
          type: 'object',
          required: ['acknowledged'],
          properties: {
            acknowledged: {
              type: 'integer',
              description: 'acknowledged now (already acknowledged or unknown ids count 0)',
            },
          },
        },
        'done',
      ),
      ...messageErrors,
    },
  });

  const plain = (summary: string, schema: Record<string, unknown>, type = 'application/json'): OperationDoc => ({
    summary,
    tags: ['Operations'],
    responses: { 200: { description: summary, content: { [type]: { schema } } } },
  });
  add('GET', '/healthz', plain('Liveness: 200 once the server is ready', { type: 'object' }));
  add('GET', '/readyz', {
    ...plain('Readiness: 200 when the database answers, else 503', { type: 'object' }),
    responses: { 200: json({ type: 'object' }, 'ready'), 503: json({ type: 'object' }, 'database unreachable') },
  });
  add('GET', '/metrics', plain('Prometheus metrics', { type: 'string' }, 'text/plain'));
  add('GET', '/assets/shouquan.css', plain('The pages’ stylesheet', { type: 'string' }, 'text/css'));
  add('GET', '/openapi.json', plain('This OpenAPI 3.1 document', { type: 'object' }));
  add('GET', '/docs', plain('The API reference, as a page', { type: 'string' }, 'text/html'));
  for (const [key, doc] of consoleRouteDocs()) docs.set(key, doc);
  for (const [key, doc] of managementRouteDocs(ctx)) docs.set(key, doc);
  add('GET', '/sandbox/callback', {
    summary: 'Sandbox only: the demo app’s callback, showing the code and the curl that swaps it',
    tags: ['Sandbox'],
    responses: { 200: htmlPage('the parameters received') },
  });
  const clock = {
    type: 'object',
    additionalProperties: false,
    required: ['now', 'offset_seconds'],
    properties: {
      now: { type: 'string', format: 'date-time', description: 'the server’s time, as every expiry sees it' },
      offset_seconds: { type: 'integer', description: 'how far it was moved ahead of the real time, in total' },
    },
  };
  add('GET', '/sandbox/clock', {
    summary: 'Sandbox only: the server’s clock',
    tags: ['Sandbox'],
    responses: { 200: json(clock, 'the time') },
  });
  add('POST', '/sandbox/clock', {
    summary: 'Sandbox only: move the server’s clock forward for every expiry (codes, tokens, subscriptions, quotas)',
    description: 'Answers 404 without `--sandbox`. The clock never goes back (restart the server for the real time).',
    tags: ['Sandbox'],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            required: ['advance_seconds'],
            properties: { advance_seconds: { type: 'integer', minimum: 1, maximum: MAX_CLOCK_ADVANCE_SECONDS } },
          },
        },
      },
    },
    responses: {
      200: json(clock, 'the new time'),
      400: json({ type: 'object' }, 'advance_seconds missing or out of range'),
    },
  });
  return docs;
}

/**
 * The OpenAPI 3.1 document for the routes the server registered: every route must have a
 * description (`undocumented` lists those that have none; a test keeps it empty).
 */
export function buildOpenApi(
  ctx: HttpContext,
  routes: RouteInfo[],
): { document: Record<string, unknown>; undocumented: string[] } {
  const docs = describeRoutes(ctx);
  const paths: Record<string, Record<string, unknown>> = {};
  const undocumented: string[] = [];
  for (const r of routes) {
    if (r.method === 'HEAD' || r.method === 'OPTIONS') continue;
    const doc = docs.get(`${r.method} ${r.url}`);
    if (!doc) {
      undocumented.push(`${r.method} ${r.url}`);
      continue;
    }
    const p = openApiPath(r.url);
    paths[p] ??= {};
    paths[p]![r.method.toLowerCase()] = {
      operationId: `${r.method.toLowerCase()}${p.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...doc,
    };
  }
  const { profile, issuer } = ctx.core;
  const document = {
    openapi: '3.1.0',
    info: {
      title: `Shouquan authorization server (${profile.name} profile)`,
      version: '0.1.0',
      description: `OAuth 2.0 authorization server for e-commerce open platforms, speaking the ${profile.title} dialect. See /.well-known/oauth-authorization-server for the metadata.`,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: issuer }],
    tags: [
      { name: 'OAuth 2.0' },
      { name: 'Seller pages' },
      { name: 'API (signed router)' },
      { name: 'API (REST)' },
      {
        name: 'API (messages)',
        description: 'The message service (docs/gateway.md#message-service): pull with the app’s credentials',
      },
      { name: 'Operations' },
      { name: 'Sandbox' },
      {
        name: 'Management: apps',
        description: 'The management API (docs/management-api.md): operator API tokens, JSON, cursors',
      },
      { name: 'Management: sellers' },
      { name: 'Management: grants' },
      { name: 'Management: subscriptions' },
      { name: 'Management: audit' },
      {
        name: 'Management: events',
        description: 'Publish business events to the message service (docs/gateway.md#message-service)',
      },
      { name: 'Management: operators' },
    ],
    paths,
    components: {
      securitySchemes: {
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'client_secret_basic: AppKey and AppSecret, form-urlencoded, in HTTP Basic (RFC 6749 §2.3.1)',
        },
        clientPost: {
          type: 'apiKey',
          in: 'query',
          name: profile.params.clientSecret[0] ?? 'client_secret',
          description:
            'client_secret_post: AppKey and AppSecret in the form body (OpenAPI cannot say “form body”; never put them in the URL)',
        },
        bearer: { type: 'http', scheme: 'bearer', description: 'the seller’s access token (RFC 6750)' },
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'an operator API token (`shouquan operator token create`) for /admin/api/v1/',
        },
      },
      schemas: {
        ...managementSchemas(),
        ...methodAnswerSchemas(profile),
        RouterError: {
          type: 'object',
          required: ['code', 'msg', 'request_id'],
          properties: {
            code: { type: 'integer' },
            msg: { type: 'string' },
            sub_code: { type: 'string' },
            sub_msg: { type: 'string' },
            request_id: { type: 'string' },
          },
        },
        Topic: {
          type: 'string',
          enum: TOPICS.map((t) => t.name),
          description: TOPICS.map(
            (t) =>
              `- \`${t.name}\`: ${t.description}; ${t.package ? `needs the \`${t.package}\` package (${t.package}.read)` : 'the app’s own event'}; published by ${t.publisher === 'platform' ? 'the platform (POST /admin/api/v1/events)' : 'Shouquan'}`,
          ).join('\n'),
        },
        Message: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'topic', 'seller_id', 'store_id', 'created_at', 'data'],
          properties: {
            id: { type: 'string', description: 'acknowledge with it; the same on a redelivery' },
            topic: ref('Topic'),
            seller_id: { type: 'integer' },
            store_id: STORE_ID_SCHEMA,
            created_at: { type: 'string', format: 'date-time', description: 'when it was published' },
            data: { type: 'object', additionalProperties: true, description: 'the event as published' },
          },
        },
        MessageList: {
          type: 'object',
          additionalProperties: false,
          required: ['messages'],
          properties: { messages: { type: 'array', items: ref('Message') } },
        },
        OAuthError: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' }, error_description: { type: 'string' } },
          additionalProperties: true,
        },
        ApiError: {
          type: 'object',
          required: ['error', 'code'],
          properties: {
            error: { type: 'string' },
            error_description: { type: 'string' },
            code: { type: 'integer' },
            sub_code: { type: 'string' },
            request_id: { type: 'string' },
          },
        },
        Introspection: {
          type: 'object',
          required: ['active'],
          properties: {
            active: { type: 'boolean' },
            client_id: { type: 'string' },
            scope: { type: 'string' },
            token_type: { type: 'string' },
            exp: { type: 'integer' },
            iat: { type: 'integer' },
            sub: { type: 'string' },
            store_id: {
              ...STORE_ID_SCHEMA,
              description: `the first store the token covers: ${STORE_ID_SCHEMA.description}`,
            },
            store_ids: { type: 'array', items: STORE_ID_SCHEMA, description: 'every store the token covers' },
            iss: { type: 'string' },
          },
        },
      },
    },
  };
  return { document, undocumented };
}
