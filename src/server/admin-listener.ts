import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * `serve --admin-port` (issue 14 §3): the operator surfaces answer on a listener of their own, so
 * the public port can be exposed to the internet while the admin port stays on a private network.
 * One Fastify instance serves both: the admin listener hands its requests to the same handler,
 * marked, and a hook sends each path to the listener it belongs to (404 elsewhere).
 */

/**
 * Paths that answer only on the admin listener when there is one: `/admin`, `/admin/…` (pages and `/admin/api/*`) and
 * `/metrics`.
 */
export function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/') || path === '/metrics';
}

/** Paths the admin listener serves besides its own: the stylesheets its pages use and the health checks. */
function isSharedPath(path: string): boolean {
  return path.startsWith('/assets/') || path === '/healthz' || path === '/readyz';
}

const adminRequests = new WeakSet<IncomingMessage>();
/** Requests refused because their path lives on the other listener: a plain 404, never a 405 with Allow. */
const hiddenRequests = new WeakSet<IncomingMessage>();

/**
 * Was this request's path hidden because it lives on the other listener? (The not-found handler answers 404, not 405.)
 */
export function hiddenByListener(raw: IncomingMessage): boolean {
  return hiddenRequests.has(raw);
}
/** The admin listeners of each app, closed with it. */
const adminServers = new WeakMap<FastifyInstance, Set<Server>>();

/**
 * Route by listener (call in buildServer, before the routes): admin paths are 404 on the public
 * listener, and everything but admin paths, assets and health checks is 404 on the admin one.
 */
export function installAdminSplit(app: FastifyInstance): void {
  const servers = new Set<Server>();
  adminServers.set(app, servers);
  app.addHook('onClose', async () => {
    for (const server of servers) {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  app.addHook('onRequest', (request, reply, done) => {
    const path = (request.raw.url ?? '/').split('?')[0] ?? '/';
    const onAdmin = adminRequests.has(request.raw);
    if (isAdminPath(path) ? !onAdmin : onAdmin && !isSharedPath(path)) {
      // The same answer as a path that does not exist (no hint that it lives elsewhere).
      hiddenRequests.add(request.raw);
      reply.callNotFound();
      return;
    }
    done();
  });
}

/** Listen on the admin host and port; closed with the app. Returns the bound port (for `--admin-port 0`). */
export async function listenAdmin(
  app: FastifyInstance,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    adminRequests.add(req);
    app.server.emit('request', req, res);
  });
  // The public listener's timeouts for slow clients (serve --request-timeout) hold here too.
  server.keepAliveTimeout = app.server.keepAliveTimeout;
  server.requestTimeout = app.server.requestTimeout;
  server.headersTimeout = app.server.headersTimeout;
  server.timeout = app.server.timeout;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const servers = adminServers.get(app);
  if (!servers) {
    server.close();
    throw new Error('listenAdmin needs a server built with an admin listener (installAdminSplit)');
  }
  servers.add(server);
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}
