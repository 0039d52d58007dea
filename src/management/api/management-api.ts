/**
 * The management API (issue 14, docs/adr/0131, docs/management-api.md): JSON over HTTP under
 * `/admin/api/v1/`, authenticated with an operator API token (`Authorization: Bearer sqo_…`).
 * Without a valid token: 401; a write with a read-only token: 403; every use is audited. Errors
 * are `{"error","message"}`; unknown fields are a 400; lists take `limit` and `cursor` and answer
 * `{"items","next_cursor"}`. Each route is declared once in {@link managementRoutes}: Fastify
 * registers it with its schemas and /openapi.json describes it from the same entry.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Ajv } from 'ajv';
import { AppInputError } from '../../apps/apps.js';
import { OAuthError } from '../../core/errors.js';
import type { OperatorTokenRecord } from '../../storage/management-ports.js';
import { DuplicateError } from '../../storage/ports.js';
import { isDatabaseUnavailable } from '../../storage/unavailable.js';
import type { HttpContext } from '../../server/http-context.js';
import { allowedMethods } from '../../server/methods.js';
import { ManagementError } from '../management-error.js';
import { findOperatorToken, tokenActor } from '../operator-tokens.js';
import { appRoutes } from './apps.api.js';
import { auditRoutes, grantRoutes } from './grants-audit.api.js';
import { sellerRoutes } from './sellers.api.js';
import { subscriptionRoutes } from './subscriptions.api.js';
import { eventRoutes } from './events.api.js';
import { operatorRoutes } from './operators.api.js';

/** Where the API lives. */
export const MANAGEMENT_API_PREFIX = '/admin/api/v1';

type Schema = Record<string, unknown>;

/** One route of the management API, as registered and as documented. */
export interface ManagementRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Below the prefix, Fastify style (`/apps/:app_key`). */
  url: string;
  summary: string;
  description?: string;
  tag:
    | 'Management: apps'
    | 'Management: sellers'
    | 'Management: grants'
    | 'Management: subscriptions'
    | 'Management: audit'
    | 'Management: events'
    | 'Management: operators';
  querystring?: Schema;
  body?: Schema;
  /** Status → schema of the success answer (errors are added for every route). */
  success: Record<number, Schema | null>;
  /** Largest body in bytes, when larger than the server's (a batch of events). */
  bodyLimit?: number;
  handler: (request: FastifyRequest, reply: FastifyReply, actor: ManagementActor) => Promise<unknown>;
}

/** Who is calling: the token, and how the audit log names it. */
export interface ManagementActor {
  token: OperatorTokenRecord;
  /** `token:<name>`. */
  name: string;
}

/** Every route of the API (handlers get the app context). */
export function managementRoutes(ctx: HttpContext): ManagementRoute[] {
  return [
    ...appRoutes(ctx),
    ...sellerRoutes(ctx),
    ...grantRoutes(ctx),
    ...subscriptionRoutes(ctx),
    ...auditRoutes(ctx),
    ...eventRoutes(ctx),
    ...operatorRoutes(ctx),
  ];
}

// Bodies: no coercion ("1" is not 1) and no silent removal of unknown fields (Fastify's default
// Ajv has removeAdditional: true, which would drop them and answer 200). Queries: strings coerced.
const bodyAjv = new Ajv({
  allErrors: false,
  removeAdditional: false,
  coerceTypes: false,
  useDefaults: true,
  strict: false,
  validateFormats: false,
});
const queryAjv = new Ajv({
  allErrors: false,
  removeAdditional: false,
  coerceTypes: true,
  useDefaults: true,
  strict: false,
  validateFormats: false,
});

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

declare module 'fastify' {
  interface FastifyRequest {
    managementActor?: ManagementActor;
  }
}

function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error, message });
}

/** A validation failure, worded for people: `body.name must be string`, `unknown field "colour"`. */
function validationMessage(error: FastifyError): string {
  const v = error.validation?.[0] as
    { keyword?: string; params?: Record<string, unknown>; instancePath?: string; message?: string } | undefined;
  const where = (error.validationContext === 'querystring' ? 'query' : error.validationContext) ?? 'request';
  if (!v) return error.message;
  const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  if (v.keyword === 'additionalProperties')
    return `unknown field "${path ? `${path}.` : ''}${String(v.params?.additionalProperty)}" in the ${where === 'query' ? 'query' : 'body'}`;
  return `${where}${path ? `.${path}` : ''} ${v.message ?? 'is invalid'}`;
}

/** Register the API under {@link MANAGEMENT_API_PREFIX}, encapsulated: its own auth, errors and validator. */
export async function managementApiRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { core } = ctx;
  await app.register(
    async (api) => {
      api.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema));

      // After the body is read (unreadable input is a 400 first, src/server/input-guard.ts), before
      // the schemas run: without a valid token nothing is validated or done.
      api.addHook('preValidation', async (request, reply) => {
        // No route (unknown path, or a method the path is not served under): 404 or 405, no token needed.
        if (request.is404) return;
        const header = request.headers.authorization ?? '';
        const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
        const token = m ? await findOperatorToken(core.storage, m[1]!) : undefined;
        if (!token) {
          reply.header('www-authenticate', 'Bearer realm="shouquan-admin"');
          request.log.info({ hasAuthorization: header !== '' }, 'management API: no valid operator token');
          return sendError(
            reply,
            401,
            'unauthorized',
            header === ''
              ? 'send an operator API token: Authorization: Bearer <token> (shouquan operator token create)'
              : 'the operator API token is unknown or revoked',
          );
        }
        request.managementActor = { token, name: tokenActor(token) };
        if (WRITE_METHODS.has(request.method) && token.readOnly) {
          return sendError(
            reply,
            403,
            'forbidden',
            `token "${token.name}" is read-only; this ${request.method} needs a read-write token`,
          );
        }
      });

      // Every use of a token is audited, refusals included, before the answer leaves.
      api.addHook('onSend', async (request, reply, payload) => {
        const actor = request.managementActor;
        if (actor) {
          await core.storage.management.recordOperatorTokenUse(actor.token.tokenId, {
            at: core.now(),
            event: 'operator_token.used',
            actor: actor.name,
            appKey: null,
            sellerId: null,
            subject: String(actor.token.tokenId),
            detail: { method: request.method, path: request.url.split('?')[0], status: reply.statusCode },
          });
        }
        return payload;
      });

      api.setErrorHandler((error: FastifyError, request, reply) => {
        if (error instanceof ManagementError) return sendError(reply, error.status, error.code, error.message);
        if (error instanceof AppInputError) return sendError(reply, 400, 'invalid_request', error.message);
        if (error instanceof DuplicateError) return sendError(reply, 409, 'conflict', error.message);
        // The server-wide input guard (NUL, invalid UTF-8) and form parsing speak OAuth errors.
        if (error instanceof OAuthError && error.status < 500)
          return sendError(reply, 400, 'invalid_request', error.description);
        if (error.validation) return sendError(reply, 400, 'invalid_request', validationMessage(error));
        if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
          const message =
            error.statusCode === 413
              ? 'the request body is too large'
              : error.statusCode === 415
                ? 'send the body as application/json'
                : `the request could not be parsed: ${error.message}`;
          return sendError(reply, error.statusCode === 413 ? 413 : 400, 'invalid_request', message);
        }
        if (isDatabaseUnavailable(error)) {
          reply.header('retry-after', '5');
          return sendError(
            reply,
            503,
            'temporarily_unavailable',
            'the database is unreachable; try again in a few seconds',
          );
        }
        request.log.error({ err: error }, 'management API: unexpected error');
        return sendError(reply, 500, 'server_error', 'an unexpected error occurred; the log has the request id');
      });
      api.setNotFoundHandler((request, reply) => {
        const allow = allowedMethods(app, request);
        if (allow.length > 0) {
          // The path exists under other methods: 405 with Allow (RFC 9110 §15.5.6), never a handler run.
          reply.header('allow', allow.join(', '));
          return sendError(
            reply,
            405,
            'method_not_allowed',
            `${request.method} is not allowed on ${request.url.split('?')[0]}; use ${allow.join(' or ')}`,
          );
        }
        return sendError(reply, 404, 'not_found', `no route for ${request.method} ${request.url.split('?')[0]}`);
      });

      for (const r of managementRoutes(ctx)) {
        api.route({
          method: r.method,
          url: r.url,
          config: { kind: 'api' },
          ...(r.bodyLimit ? { bodyLimit: r.bodyLimit } : {}),
          schema: {
            ...(r.querystring ? { querystring: r.querystring } : {}),
            ...(r.body ? { body: r.body } : {}),
            response: Object.fromEntries(Object.entries(r.success).filter(([, s]) => s !== null)),
          },
          handler: async (request, reply) => {
            // A body sent with another content type reaches here as undefined: say what to send.
            if (r.body && request.body === undefined)
              throw new ManagementError(400, 'invalid_request', 'send the body as application/json');
            return r.handler(request, reply, request.managementActor!);
          },
        });
      }
    },
    { prefix: MANAGEMENT_API_PREFIX },
  );
}
