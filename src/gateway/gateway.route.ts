import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../server/http-context.js';
import type { Gateway } from './gateway.js';
import { restRoutes } from './rest.route.js';
import { routerRoutes } from './router.route.js';
import { WebhookDispatcher } from './webhook.js';
import { Counter, type Registry } from 'prom-client';
import type { CoreContext } from '../core/context.js';
import type { FastifyBaseLogger } from 'fastify';
import { messageRoutes } from '../messages/messages.route.js';
import { MessageService } from '../messages/service.js';
import type { ResolvedGatewayOptions } from './options.js';

/** The message service with its metrics (`shouquan_messages_*`). */
export function createMessageService(core: CoreContext, registry: Registry, o: ResolvedGatewayOptions): MessageService {
  const registers = [registry];
  const published = new Counter({
    name: 'shouquan_messages_published_total',
    help: 'Events published to the message service',
    registers,
  });
  const entries = new Counter({
    name: 'shouquan_message_entries_total',
    help: 'Queue entries written (one per receiving app and event)',
    registers,
  });
  const delivered = new Counter({
    name: 'shouquan_messages_delivered_total',
    help: 'Messages handed out to pulling consumers (redeliveries included)',
    registers,
  });
  const expired = new Counter({
    name: 'shouquan_messages_expired_total',
    help: 'Messages dropped unacknowledged after the retention period',
    registers,
  });
  return new MessageService(core, {
    visibilityMs: o.messageVisibilitySeconds * 1000,
    retentionMs: o.messageRetentionDays * 86_400_000,
    pollMs: o.messagePollMs,
    onPublished: (n, e) => {
      published.inc(n);
      entries.inc(e);
    },
    onDelivered: (n) => delivered.inc(n),
    onExpired: (n) => expired.inc(n),
  });
}

/** Drop events past retention every minute (several nodes may: each delete only takes expired rows). */
function startMessageRetention(messages: MessageService, log: FastifyBaseLogger) {
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      timer = setInterval(() => {
        messages.purgeExpired().then(
          (r) => r.dropped > 0 && log.info({ messages: r }, 'dropped messages past retention'),
          (e) => log.warn({ err: e }, 'dropping messages past retention failed; will retry'),
        );
      }, 60_000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

/**
 * With NATS JetStream (`--message-broker`): forward the outbox (the gateway's own writes' events,
 * docs/adr/0180) every second, for events whose forward after their commit failed or was cut
 * short by a crash. Several nodes may: JetStream drops repeated forwards.
 */
function startMessageRelay(messages: MessageService, log: FastifyBaseLogger) {
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  return {
    start() {
      if (messages.queueKind !== 'nats') return;
      timer = setInterval(() => {
        messages.relayOutbox().then(
          () => (failing = false),
          (e) => {
            if (!failing) log.warn({ err: e }, 'forwarding queued events to the message broker failed; will retry');
            failing = true;
          },
        );
      }, 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

/**
 * Everything the open API gateway adds to the server: the signed router, the REST face, the
 * message service's routes and the webhook dispatcher (started when the server is ready, stopped
 * when it closes). The gateway and its message service are built with the context (src/server/app.ts).
 */
export async function gatewayRoutes(
  app: FastifyInstance,
  ctx: HttpContext,
  gw: Gateway,
  messages: MessageService,
): Promise<void> {
  await messageRoutes(app, ctx, messages);
  await routerRoutes(app, gw);
  await restRoutes(app, gw);
  const dispatcher = new WebhookDispatcher(ctx.core, gw.storage, gw.options, app.log);
  // Outbox rows of apps without a webhook (authorization.*, subscription.*, pushes left when the
  // webhook was cleared) reach their pull queue when they subscribed to the topic (docs/adr/0171).
  dispatcher.pull = (rec, topics) => messages.forwardToPull(rec, topics);
  const retention = startMessageRetention(messages, app.log);
  const relay = startMessageRelay(messages, app.log);
  app.addHook('onReady', async () => {
    dispatcher.start();
    retention.start();
    relay.start();
  });
  // Long polls answer at once when the server is closing (before in-flight requests are awaited).
  app.addHook('preClose', async () => messages.close());
  app.addHook('onClose', async () => {
    retention.stop();
    relay.stop();
    await dispatcher.stop();
    await gw.close();
  });
}
