import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppInputError, updateApp } from '../../apps/apps.js';
import { doneParam, frame } from '../../console/frame.js';
import { checkedForm, currentAccount, field, PageError } from '../../console/web-kit.js';
import { ManagementError } from '../../management/management-error.js';
import {
  cancelSubscription,
  createSubscription,
  listSubscriptions,
  renewSubscription,
} from '../../subscriptions/subscriptions.js';
import { seeOther, sendPage, type HttpContext } from '../http-context.js';
import { adminSubscriptionsPage } from '../pages/subscription-pages.js';

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
 * Every change is audited as `operator:<username>`.
 */
export async function adminSubscriptionRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { core } = ctx;
  const cfg = { config: { kind: 'page' as const } };
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
  const operator = async (request: FastifyRequest) => {
    const op = await currentAccount(ctx, request, 'operator');
    return op ? `operator:${op.username}` : undefined;
  };

  app.get('/admin/subscriptions', cfg, async (request, reply) => {
    const op = await currentAccount(ctx, request, 'operator');
    if (!op) return seeOther(reply, '/admin/login');
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

  app.post('/admin/subscriptions', cfg, async (request, reply) => {
    const form = checkedForm(ctx, request);
    const actor = await operator(request);
    if (!actor) return seeOther(reply, '/admin/login');
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

  app.post<{ Params: { id: string } }>('/admin/subscriptions/:id/renew', cfg, async (request, reply) => {
    const form = checkedForm(ctx, request);
    const actor = await operator(request);
    if (!actor) return seeOther(reply, '/admin/login');
    const sub = await run(() =>
      renewSubscription(core.storage, request.params.id, field(form, 'expires_at'), actor, core.now()),
    );
    return seeOther(reply, `/admin/subscriptions?done=renewed&app_key=${encodeURIComponent(sub.appKey)}`);
  });

  app.post<{ Params: { id: string } }>('/admin/subscriptions/:id/cancel', cfg, async (request, reply) => {
    checkedForm(ctx, request);
    const actor = await operator(request);
    if (!actor) return seeOther(reply, '/admin/login');
    const sub = await run(() => cancelSubscription(core.storage, request.params.id, actor, core.now()));
    return seeOther(reply, `/admin/subscriptions?done=cancelled&app_key=${encodeURIComponent(sub.appKey)}`);
  });

  app.post<{ Params: { appKey: string } }>('/admin/apps/:appKey/subscription', cfg, async (request, reply) => {
    const form = checkedForm(ctx, request);
    const actor = await operator(request);
    if (!actor) return seeOther(reply, '/admin/login');
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
