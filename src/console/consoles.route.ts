import type { FastifyInstance } from 'fastify';
import { HEAD_SAFE } from '../server/methods.js';
import type { HttpContext } from '../server/http-context.js';
import { consoleStylesheet } from './console.css.js';
import { DEVELOPER_CONSOLE_PREFIX, developerConsolePlugin } from './developer/developer-console.plugin.js';
import { OPERATOR_ADMIN_PREFIX, operatorAdminPlugin } from './operator-admin/operator-admin.plugin.js';
import { SELLER_CENTER_PREFIX, sellerCenterPlugin } from './seller-center/seller-center.plugin.js';

/**
 * The three web consoles and their stylesheet (docs/adr/0174): each console is an encapsulated
 * Fastify plugin under its own prefix with its own sign-in hook (src/console/sign-in.ts), so a
 * console's hook and request decorators never reach another console, the management API or the
 * OAuth routes. The consoles' plugin entry, as src/gateway/gateway.route.ts is the gateway's.
 */
export async function consolesRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  app.get('/assets/console.css', { ...HEAD_SAFE, config: { kind: 'plain' } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(consoleStylesheet),
  );
  await app.register(sellerCenterPlugin, { prefix: SELLER_CENTER_PREFIX, ctx });
  await app.register(developerConsolePlugin, { prefix: DEVELOPER_CONSOLE_PREFIX, ctx });
  await app.register(operatorAdminPlugin, { prefix: OPERATOR_ADMIN_PREFIX, ctx });
}
