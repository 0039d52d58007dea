import type { FastifyInstance } from 'fastify';
import { AppInputError, updateApp } from '../../apps/apps.js';
import { doneParam, frame } from '../frame.js';
import { PAGE, type ConsoleSignIn } from '../sign-in.js';
import { field, PageError } from '../web-kit.js';
import type { WebAccount } from '../../storage/console-ports.js';
import { ManagementError } from '../../management/management-error.js';
import {
  cancelSubscription,
  createSubscription,
  listSubscriptions,
  renewSubscription,
} from '../../subscriptions/subscriptions.js';
import { seeOther, sendPage, type HttpContext } from '../../server/http-context.js';
import { adminSubscriptionsPage } from './subscription-pages.js';

const NOTICES: Record<string, { en: string; 'zh-CN': string }> = {
  created: { en: 'Subscription recorded.', 'zh-CN': '订购已登记。' },
  renewed: { en: 'Subscription renewed.', 'zh-CN': '订购已续订。' },
  cancelled: {
    en: 'Subscription cancelled: the seller’s tokens for the app no longer work.',
    'zh-CN': '订购已取消：该商家对此应用的令牌已立即失效。',
  },
  app: { en: 'App saved.', 'zh-CN': '应用已保存。' },
};

/**
 * `/admin/subscriptions` (docs/adr/0140): list, record, renew and cancel sellers' subscriptions,
 * and mark apps as requiring one, with the same module as the CLI and the management API.
 * Every change is audited as `operator:<username>`. Routes of the operator admin's plugin (`app`
 * carries its prefix and sign-in hook).
 */
export async function operatorSubscriptionRoutes(
  app: FastifyInstance,
  ctx: HttpContext,
  signIn: ConsoleSignIn<WebAccount>,
): Promise<void> {
  const { core } = ctx;
  /** The module's refusals as error pages (its messages are English, like the CLI's). */
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ManagementError) throw new PageError(e.status, e.message, e.code);
      if (e instanceof AppInputError) throw new PageError(400, e.message, e.field);
      throw e;
    }
  };
  const actorOf = (op: WebAccount) => `operator:${op.username}`;

  app.get('/subscriptions', PAGE, async (request, reply) => {
    const op = signIn.principal(request);
    const f = frame(ctx, request, reply, 'admin');
    const q = request.query as Record<string, unknown>;
    const text = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() : '');
    const filter = { appKey: text('app_key'), sellerId: text('seller_id'), status: text('status') };
    const now = core.now();
    const page = await run(() =>
      listSubscriptions(
        core.storage,
        {
          app_key: filter.appKey || undefined,
          seller_id: filter.sellerId || undefined,
          status: filter.status || undefined,
          cursor: text('cursor') || undefined,
        },
        now,
      ),
    );
    const done = doneParam(request);
    const notice = done && NOTICES[done] ? NOTICES[done][f.lang] : undefined;
    const apps = await core.storage.console.allApps();
    return sendPage(
      reply,
      200,
      adminSubscriptionsPage({
        ...f,
        notice,
        user: { name: op.username, logoutAction: '/admin/logout', csrf: f.csrf },
        now,
        items: page.items,
        nextCursor: page.nextCursor,
        filter,
        apps,
      }),
    );
  });

  app.post('/subscriptions', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const actor = actorOf(signIn.principal(request));
    const plan = field(form, 'plan');
    const input = {
      appKey: field(form, 'app_key'),
      sellerId: field(form, 'seller_id'),
      expiresAt: field(form, 'expires_at'),
      ...(plan ? { plan } : {}),
    };
    const sub = await run(() => createSubscription(core.storage, input, actor, core.now()));
    request.log.info(
      { subscriptionId: sub.subscriptionId, appKey: sub.appKey, sellerId: sub.sellerId },
      'subscription recorded in /admin',
    );
    return seeOther(reply, `/admin/subscriptions?done=created&app_key=${encodeURIComponent(sub.appKey)}`);
  });

  app.post<{ Params: { id: string } }>('/subscriptions/:id/renew', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const actor = actorOf(signIn.principal(request));
    const sub = await run(() =>
      renewSubscription(core.storage, request.params.id, field(form, 'expires_at'), actor, core.now()),
    );
    return seeOther(reply, `/admin/subscriptions?done=renewed&app_key=${encodeURIComponent(sub.appKey)}`);
  });

  app.post<{ Params: { id: string } }>('/subscriptions/:id/cancel', PAGE, async (request, reply) => {
    const actor = actorOf(signIn.principal(request));
    const sub = await run(() => cancelSubscription(core.storage, request.params.id, actor, core.now()));
    return seeOther(reply, `/admin/subscriptions?done=cancelled&app_key=${encodeURIComponent(sub.appKey)}`);
  });

  app.post<{ Params: { appKey: string } }>('/apps/:appKey/subscription', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const actor = actorOf(signIn.principal(request));
    const requireSubscription = field(form, 'require_subscription') === '1';
    const purchaseUrl = field(form, 'purchase_url') || null;
    const done = await run(() =>
      updateApp(core.storage, request.params.appKey, { requireSubscription, purchaseUrl }, core.now(), {
        actor,
        event: 'app.updated',
        detail: {
          changed: ['require_subscription', 'purchase_url'],
          require_subscription: requireSubscription,
          purchase_url: purchaseUrl,
        },
      }),
    );
    if (!done) throw new PageError(404, 'no such app', 'no such app');
    return seeOther(reply, '/admin/subscriptions?done=app');
  });
}
