import type { FastifyRequest } from 'fastify';
import type { HttpContext } from '../../server/http-context.js';
import {
  cancelSubscription,
  createSubscription,
  getSubscription,
  listSubscriptions,
  renewSubscription,
  subscriptionJson,
} from '../../subscriptions/subscriptions.js';
import type { ManagementRoute } from './management-api.js';
import { listOf, listQuery, schemas } from './schemas.js';

const idOf = (request: FastifyRequest) => (request.params as { subscription_id: string }).subscription_id;

/** `/subscriptions`: sellers' subscriptions to apps that require one (docs/adr/0140). */
export function subscriptionRoutes(ctx: HttpContext): ManagementRoute[] {
  const { core } = ctx;
  const tag = 'Management: subscriptions' as const;
  return [
    {
      method: 'GET',
      url: '/subscriptions',
      tag,
      summary: 'List subscriptions of an app, a seller or both',
      description: 'Newest first. `status` active or ended (expired or cancelled; default both).',
      querystring: listQuery({
        app_key: { type: 'string', maxLength: 64 },
        seller_id: { type: 'string', maxLength: 20 },
        status: { type: 'string', enum: ['active', 'ended'] },
      }),
      success: { 200: listOf('Subscription') },
      handler: async (request) => {
        const now = core.now();
        const page = await listSubscriptions(core.storage, request.query as Record<string, string>, now);
        return { items: page.items.map((s) => subscriptionJson(s, now)), next_cursor: page.nextCursor };
      },
    },
    {
      method: 'POST',
      url: '/subscriptions',
      tag,
      summary: 'Record a seller’s subscription to an app',
      description:
        'For an app with `require_subscription`, the seller may authorize it until `expires_at`, and its tokens never outlive it. ' +
        'One active subscription per seller and app (409 otherwise: renew it).',
      body: schemas.SubscriptionCreate,
      success: { 201: schemas.Subscription },
      handler: async (request, reply, actor) => {
        const b = request.body as { app_key: string; seller_id: string; expires_at: string; plan?: string };
        const now = core.now();
        const sub = await createSubscription(
          core.storage,
          { appKey: b.app_key, sellerId: b.seller_id, expiresAt: b.expires_at, plan: b.plan },
          actor.name,
          now,
        );
        return reply.code(201).send(subscriptionJson(sub, now));
      },
    },
    {
      method: 'GET',
      url: '/subscriptions/:subscription_id',
      tag,
      summary: 'Show a subscription',
      success: { 200: schemas.Subscription },
      handler: async (request) => subscriptionJson(await getSubscription(core.storage, idOf(request)), core.now()),
    },
    {
      method: 'POST',
      url: '/subscriptions/:subscription_id/renew',
      tag,
      summary: 'Move a subscription’s end: live grants get the new end at their next refresh, without a new consent',
      description:
        'An earlier end caps the seller’s live tokens at once. A cancelled subscription cannot be renewed (409).',
      body: schemas.SubscriptionRenewal,
      success: { 200: schemas.Subscription },
      handler: async (request, _reply, actor) => {
        const now = core.now();
        return subscriptionJson(
          await renewSubscription(
            core.storage,
            idOf(request),
            (request.body as { expires_at: string }).expires_at,
            actor.name,
            now,
          ),
          now,
        );
      },
    },
    {
      method: 'POST',
      url: '/subscriptions/:subscription_id/cancel',
      tag,
      summary: 'End a subscription now: the seller’s tokens for the app stop at once',
      description:
        'Introspection answers `active:false`, API calls get code 27 / 401, and the app gets `subscription.expired` (reason `cancelled`). Cancelling again changes nothing.',
      success: { 200: schemas.Subscription },
      handler: async (request, _reply, actor) => {
        const now = core.now();
        return subscriptionJson(await cancelSubscription(core.storage, idOf(request), actor.name, now), now);
      },
    },
  ];
}
