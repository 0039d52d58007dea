import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hiddenByListener } from './admin-listener.js';

/**
 * Method policy (issue 15, finding 1; RFC 9110 §15.5.6, §10.2.1).
 *
 * Every route answers only the methods it registers. HEAD is not added to GET routes
 * automatically (`exposeHeadRoutes: false`): a route answers HEAD only when it opts in with
 * `exposeHeadRoute: true`, which only side-effect-free GET routes do (assets, health, metadata,
 * the API reference). A request whose path is served under other methods gets
 * 405 Method Not Allowed with an `Allow` header listing them; an unknown path stays a 404.
 */
export const HEAD_SAFE = { exposeHeadRoute: true } as const;

/** The methods the path of this request is served under, or an empty list when no route matches it. */
export function allowedMethods(app: FastifyInstance, request: FastifyRequest): string[] {
  // A path that lives on the other listener (serve --admin-port) is not found here, whatever its methods.
  if (hiddenByListener(request.raw)) return [];
  const path = request.url.split('?')[0] ?? '';
  return app.supportedMethods.filter(
    (method) => method !== request.method && app.findRoute({ method: method as 'GET', url: path }) !== null,
  );
}
