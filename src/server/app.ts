import { Counter } from 'prom-client';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { CoreContext } from '../core/context.js';
import { InvalidRequestError, InvalidTokenError, OAuthError } from '../core/errors.js';
import { parseFormEncoded } from '../core/params.js';
import { errorStatusFor, renderFields } from '../profiles/profile.js';
import { type HttpContext, type RouteKind, requestLang, sendPage } from './http-context.js';
import { createMetrics, type Metrics } from './metrics.js';
import { errorPage } from './pages/pages.js';
import { t } from './pages/i18n.js';
import { stylesheet } from './pages/shouquan.css.js';
import { redactUrl } from './redact.js';
import { requestIdGenerator } from './request-id.js';
import { tracing } from '../tracing/tracing.js';
import { allowedMethods, HEAD_SAFE } from './methods.js';
import { formBodyText, installInputGuard } from './input-guard.js';
import { DEFAULT_REQUEST_TIMEOUT_SECONDS, limitConnectionsPerAddress, timeoutOptions } from './connection-limits.js';
import { apiRoutes } from './routes/api.route.js';
import { authorizeRoutes } from './routes/authorize.route.js';
import { discoveryRoutes } from './routes/discovery.route.js';
import { tokenRoutes } from './routes/token.route.js';
import { sandboxRoutes } from './routes/sandbox.route.js';
import { consolesRoutes } from '../console/consoles.route.js';
import { createMessageService, gatewayRoutes } from '../gateway/gateway.route.js';
import { createGateway } from '../gateway/gateway.js';
import { resolveGatewayOptions } from '../gateway/options.js';
import { docsRoutes } from './routes/docs.route.js';
import { managementApiRoutes } from '../management/api/management-api.js';
import { buildOpenApi, type RouteInfo } from './openapi/openapi.js';
import type { GatewayOptions } from '../gateway/options.js';
import { CallLogWriter, CallTracker, type CallLogOptions } from '../gateway/call-log.js';
import { AppMetrics, DEFAULT_METRICS_APP_LIMIT } from '../gateway/app-metrics.js';
import { createSellerSignIn } from '../sellers/seller-sign-in.js';
import { SellerOidcLogin, type SellerOidcOptions } from '../sellers/seller-oidc.js';
import { sellerOidcRoutes } from './routes/seller-oidc.route.js';
import { installAdminSplit } from './admin-listener.js';
import type { SellerDirectoryOptions } from '../sellers/seller-directory.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The OpenAPI document of this server and the routes it fails to describe (tests keep that empty). */
    apiReference(): ReturnType<typeof buildOpenApi>;
  }
}
import { createThrottle, installClientAuthThrottle, type SecurityLimits } from './throttle.js';
import { registerOpsMetrics } from './ops-metrics.js';
import { clusterWorkerMetrics } from './cluster-metrics.js';
import { isDatabaseUnavailable } from '../storage/unavailable.js';
import { TemporarilyUnavailableError } from '../core/errors.js';

export interface ServerOptions {
  core: CoreContext;
  /** pino options, `false` for silence (tests), or `true` for defaults. */
  logger?: boolean | Record<string, unknown>;
  /** Cookies with `Secure`: defaults to true when the issuer is https. */
  cookieSecure?: boolean;
  /** Largest accepted request body in bytes. */
  bodyLimit?: number;
  /** Trust X-Forwarded-* from a proxy in front. */
  trustProxy?: boolean | number | string[];
  /** Serve the sandbox callback page at /sandbox/callback. */
  sandbox?: boolean;
  /** Open API gateway settings (docs/gateway.md). */
  gateway?: GatewayOptions;
  /** Failure budgets for seller logins and client authentication (defaults in throttle.ts). */
  limits?: Partial<SecurityLimits>;
  /** Set in a `serve --workers N` worker: its slot (1…N); /metrics then answers for all workers (docs/adr/0090). */
  clusterWorker?: number;
  /** Seconds a client has to send a whole request, headers and body (default 30; `serve --request-timeout`). */
  requestTimeout?: number;
  /** Open connections one client address may hold; 0 or absent: no limit (`serve --max-connections-per-ip`). */
  maxConnectionsPerIp?: number;
  /** Distinct app_key labels on the per-app API metrics before the rest count as "other" (`--metrics-app-limit`). */
  metricsAppLimit?: number;
  /** Batching of gateway call records (defaults: every second or 500 rows; docs/adr/0062). */
  callLog?: Omit<CallLogOptions, 'onDrop' | 'onError'>;
  /** The platform's HTTP seller directory; without it sellers sign in with built-in accounts (docs/adr/0125). */
  sellerDirectory?: SellerDirectoryOptions;
  /** The platform's OpenID Connect IdP for seller login (docs/adr/0160). */
  sellerOidc?: SellerOidcOptions;
  /**
   * `serve --admin-port`: /admin, /admin/api/* and /metrics answer only on the admin listener
   * (started with `listenAdmin`, src/server/admin-listener.ts) and are 404 on the public one.
   */
  adminListener?: boolean;
}

/** Content-Security-Policy for every response: no scripts, no third-party anything, no framing. */
const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data: https:; base-uri 'none'; frame-ancestors 'none'";

/** Seconds a client should wait before retrying while the database is unreachable. */
const DB_RETRY_AFTER_SECONDS = 5;

/** Paths credentials and secrets never appear under in logs. */
export const logRedactPaths = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

/** Build the Fastify server for a core context. Routes come from the active profile. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { core } = options;
  const metrics: Metrics = createMetrics();
  const clusterMetrics =
    options.clusterWorker === undefined ? undefined : clusterWorkerMetrics(metrics.registry, options.clusterWorker);

  const logger =
    options.logger === false
      ? false
      : {
          level: 'info',
          redact: { paths: logRedactPaths, censor: '[REDACTED]' },
          serializers: {
            req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
          },
          ...(typeof options.logger === 'object' ? options.logger : {}),
        };

  const app = Fastify({
    logger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: (options.trustProxy ?? false) as boolean, // a hop count is valid at run time; Fastify's types omit it
    // A trusted load balancer's X-Request-Id is kept (validated), else a fresh UUID (src/server/request-id.ts).
    genReqId: requestIdGenerator(options.trustProxy),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false },
    // Slow headers and bodies are cut off (issue 15, finding 2; src/server/connection-limits.ts).
    ...timeoutOptions(options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_SECONDS),
    // HEAD only where a route opts in (src/server/methods.ts): HEAD never runs a handler with side effects.
    exposeHeadRoutes: false,
  });

  // Tracing (docs/adr/0155): a span per request, only when an OTLP endpoint is configured.
  tracing.hooks?.installServerSpans(app);

  const connectionsRefused = new Counter({
    name: 'shouquan_connections_refused_total',
    help: 'Connections refused because their address already had --max-connections-per-ip open',
    registers: [metrics.registry],
  });
  limitConnectionsPerAddress(app.server, options.maxConnectionsPerIp ?? 0, (address) => {
    connectionsRefused.inc();
    app.log.warn(
      { remoteAddress: address, limit: options.maxConnectionsPerIp },
      'connection refused: too many open connections from this address',
    );
  });

  // Every route, as registered: the API reference is built from this list (and checked against it).
  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) routes.push({ method, url: r.url });
  });

  // docs/adr/0115: a PostgreSQL deployment is many processes and backups of a shared database;
  // a key kept in that database lets a dump alone open every sealed AppSecret.
  if (core.secretKeySource === 'database' && core.storage.dialect === 'postgres') {
    app.log.warn(
      'the server key that seals AppSecrets is stored in the database: a database dump alone gives back every AppSecret. ' +
        'Keep it in a file instead: "shouquan key rotate --new-key-file PATH", then serve --secret-key-file PATH (docs/operations.md#server-key)',
    );
  }
  for (const w of core.secretKeyWarnings ?? []) app.log.warn(w);
  await app.register(cookie);
  if (options.adminListener) installAdminSplit(app);
  // The context is built whole (docs/adr/0167): throttle, call records, gateway and message
  // service first, then the object every route module gets.
  const throttle = createThrottle(core, metrics.registry, options.limits);
  let calls: CallTracker | undefined;
  if (core.storage.gateway) {
    const dropped = new Counter({
      name: 'shouquan_gateway_call_records_dropped_total',
      help: 'Gateway call records dropped because the database did not take them in time (the console misses them)',
      registers: [metrics.registry],
    });
    const writer = new CallLogWriter(core.storage.gateway.calls, {
      ...options.callLog,
      onDrop: (n) => dropped.inc(n),
      onError: (err) => app.log.warn({ err }, 'writing gateway call records failed; they stay buffered'),
    });
    calls = new CallTracker(
      writer,
      core.now,
      new AppMetrics(metrics.registry, options.metricsAppLimit ?? DEFAULT_METRICS_APP_LIMIT),
    );
    // Runs after in-flight requests are done: their records are written before storage closes.
    app.addHook('onClose', async () => writer.close());
  }
  const messages = core.storage.gateway
    ? createMessageService(core, metrics.registry, resolveGatewayOptions(options.gateway))
    : undefined;
  const gateway = core.storage.gateway ? createGateway(core, options.gateway, { calls, messages }) : undefined;
  const ctx: HttpContext = {
    core,
    metrics,
    cookieSecure: options.cookieSecure ?? core.issuer.startsWith('https:'),
    sellerSignIn: createSellerSignIn(core, metrics.registry, options.sellerDirectory, options.sellerOidc !== undefined),
    throttle,
    calls,
    messages,
    sellerOidc: options.sellerOidc
      ? new SellerOidcLogin(options.sellerOidc, () => core.issuer, core.secretKey, metrics.registry, core.now)
      : undefined,
  };
  installClientAuthThrottle(app, ctx, throttle);
  const ops = registerOpsMetrics(ctx);
  // NUL bytes and invalid UTF-8 in the URL or our cookies: 400 on every route (src/server/input-guard.ts).
  installInputGuard(app);
  // Form bodies are parsed strictly (duplicates kept, malformed encoding refused).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseFormEncoded(formBodyText(body as Buffer)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  // Any other body type reaches the route, which refuses it with a proper error (not a bare 415).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => done(null, undefined));

  // Callback-style hooks (not async): they run on every response, and a promise each costs CPU.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', CSP);
    const kind = routeKind(request);
    if (kind === 'oauth' || kind === 'page' || kind === 'api') {
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
    }
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    clusterMetrics?.countRequest();
    ctx.calls?.finish(request, reply.statusCode, reply.elapsedTime);
    done();
  });

  app.setErrorHandler((error: FastifyError | OAuthError, request, reply) => {
    // The database is down or restarting: 503 with Retry-After (RFC 9110 §15.6.4), not a 500.
    if (!(error instanceof OAuthError) && isDatabaseUnavailable(error)) {
      request.log.warn(
        { err: { message: error.message, code: (error as { code?: string }).code } },
        'database unreachable',
      );
      ops.dbUnavailable.inc();
      reply.header('retry-after', String(DB_RETRY_AFTER_SECONDS));
      return handleError(
        ctx,
        new TemporarilyUnavailableError(
          'the service is temporarily unavailable; try again in a few seconds',
          'database unreachable',
        ),
        request,
        reply,
      );
    }
    return handleError(ctx, error, request, reply);
  });
  app.setNotFoundHandler((request, reply) => {
    const accept = request.headers.accept ?? '';
    const allow = allowedMethods(app, request);
    if (allow.length > 0) {
      // The path exists under other methods: 405 with Allow (RFC 9110 §15.5.6), never a handler run.
      reply.header('allow', allow.join(', '));
      request.log.info({ method: request.method, allow }, 'method not allowed');
      if (accept.includes('text/html')) {
        const lang = requestLang(ctx, request);
        return sendPage(
          reply,
          405,
          errorPage({
            lang,
            platform: core.profile.title,
            message: `${request.method} is not allowed here (${allow.join(', ')})`,
            requestId: request.id,
          }),
        );
      }
      return reply.code(405).send({
        error: 'method_not_allowed',
        error_description: `${request.method} is not allowed on ${request.url.split('?')[0]}; use ${allow.join(' or ')}`,
      });
    }
    if (accept.includes('text/html')) {
      const lang = requestLang(ctx, request);
      return sendPage(
        reply,
        404,
        errorPage({ lang, platform: core.profile.title, message: t(lang).notFound, requestId: request.id }),
      );
    }
    return reply
      .code(404)
      .send({ error: 'not_found', error_description: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });

  app.get('/assets/shouquan.css', { ...HEAD_SAFE, config: { kind: 'plain' } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  );
  app.get('/healthz', { ...HEAD_SAFE, config: { kind: 'plain' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { ...HEAD_SAFE, config: { kind: 'plain' } }, async (_request, reply) => {
    const ok = await core.storage.ping();
    if (!ok) reply.header('retry-after', String(DB_RETRY_AFTER_SECONDS));
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'database unreachable' });
  });
  app.get('/metrics', { ...HEAD_SAFE, config: { kind: 'plain' } }, async (request, reply) => {
    if (!clusterMetrics) return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    try {
      return reply.type(metrics.registry.contentType).send(await clusterMetrics.aggregated());
    } catch (e) {
      // A partial answer would look like a drop in every counter: fail the scrape instead.
      request.log.warn({ err: e }, "could not aggregate the workers' metrics");
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(`# metrics of the workers could not be aggregated: ${(e as Error).message}\n`);
    }
  });

  await authorizeRoutes(app, ctx);
  if (ctx.sellerOidc) await sellerOidcRoutes(app, ctx, ctx.sellerOidc);
  await tokenRoutes(app, ctx);
  await discoveryRoutes(app, ctx);
  await apiRoutes(app, ctx);
  if (gateway && messages) await gatewayRoutes(app, ctx, gateway, messages);
  await docsRoutes(app, ctx, routes);
  app.decorate('apiReference', () => buildOpenApi(ctx, routes));
  if (options.sandbox) await sandboxRoutes(app, ctx);
  await consolesRoutes(app, ctx);
  await managementApiRoutes(app, ctx);
  return app;
}

function routeKind(request: FastifyRequest): RouteKind {
  return request.routeOptions.config?.kind ?? 'plain';
}

/** One place that turns any error into the answer the route's kind calls for. */
function handleError(ctx: HttpContext, error: FastifyError | OAuthError, request: FastifyRequest, reply: FastifyReply) {
  const kind = routeKind(request);
  let oauth: OAuthError;
  if (error instanceof OAuthError) {
    oauth = error;
  } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own 4xx (body too large, bad JSON, bad content length): an invalid request.
    oauth = new InvalidRequestError(
      error.statusCode === 413 ? 'the request body is too large' : 'the request could not be parsed',
      error.message,
    );
    reply.code(error.statusCode === 413 ? 413 : 400);
  } else {
    request.log.error({ err: error }, 'unexpected error');
    oauth = new (class extends OAuthError {
      readonly code = 'server_error';
      override readonly status = 500;
    })('an unexpected error occurred; try again later');
  }
  ctx.metrics.oauthErrors.inc({ error: oauth.code });
  if (oauth.status < 500) request.log.info({ oauthError: oauth.code, detail: oauth.detail }, 'request refused');
  const status = reply.statusCode >= 400 ? reply.statusCode : oauth.status;

  if (kind === 'page') {
    const lang = requestLang(ctx, request);
    const message = oauth.status >= 500 && oauth.code === 'server_error' ? t(lang).internal : oauth.description;
    return sendPage(
      reply,
      status,
      errorPage({ lang, platform: ctx.core.profile.title, message, requestId: request.id }),
    );
  }
  if (kind === 'api') {
    if (oauth instanceof InvalidTokenError && oauth.missing) {
      // RFC 6750 §3.1: a request without credentials gets a challenge with no error code.
      reply.header('www-authenticate', 'Bearer realm="shouquan"');
    } else if (oauth.code === 'invalid_token') {
      reply.header(
        'www-authenticate',
        `Bearer realm="shouquan", error="invalid_token", error_description="${oauth.description.replace(/"/g, "'")}"`,
      );
    }
    return reply.code(status).send({ error: oauth.code, error_description: oauth.description });
  }
  if (oauth.code === 'invalid_client') reply.header('www-authenticate', 'Basic realm="shouquan", charset="UTF-8"');
  const extras =
    kind === 'oauth'
      ? renderFields(ctx.core.profile.responses.errorExtras, {
          error_status: errorStatusFor(ctx.core.profile, oauth.code),
        })
      : {};
  return reply.code(status).send({ error: oauth.code, error_description: oauth.description, ...extras });
}
