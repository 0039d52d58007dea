import type { FastifyInstance } from 'fastify';
import { HEAD_SAFE } from '../methods.js';
import type { HttpContext } from '../http-context.js';
import { consoleStylesheet } from '../pages/console.css.js';
import { accountRoutes } from './account.route.js';
import { adminRoutes } from './admin.route.js';
import { adminSubscriptionRoutes } from './admin-subscriptions.route.js';
import { consoleRoutes } from './console.route.js';
import { passwordResetRoutes } from './password-reset.route.js';

/** The three web consoles and their stylesheet: seller center, developer console, operator admin. */
export async function webConsoleRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  app.get('/assets/console.css', { ...HEAD_SAFE, config: { kind: 'plain' } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(consoleStylesheet),
  );
  await accountRoutes(app, ctx);
  await consoleRoutes(app, ctx);
  await adminRoutes(app, ctx);
  await adminSubscriptionRoutes(app, ctx);
  await passwordResetRoutes(app, ctx);
}
