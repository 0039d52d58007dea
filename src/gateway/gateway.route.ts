import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../server/http-context.js';
import { createGateway } from './gateway.js';
import type { GatewayOptions } from './options.js';
import { restRoutes } from './rest.route.js';
import { routerRoutes } from './router.route.js';
import { WebhookDispatcher } from './webhook.js';

/**
 * Everything the open API gateway adds to the server: the signed router, the REST face,
 * and the webhook dispatcher (started when the server is ready, stopped when it closes).
 * Skipped when the storage has no gateway tables.
 */
export async function gatewayRoutes(app: FastifyInstance, ctx: HttpContext, options?: GatewayOptions): Promise<void> {
  if (!ctx.core.storage.gateway) return;
  const gw = createGateway(ctx.core, options);
  gw.calls = ctx.calls;
  await routerRoutes(app, gw);
  await restRoutes(app, gw);
  const dispatcher = new WebhookDispatcher(ctx.core, gw.storage, gw.options, app.log);
  app.addHook('onReady', async () => dispatcher.start());
  app.addHook('onClose', async () => {
    await dispatcher.stop();
    await gw.close();
  });
}
