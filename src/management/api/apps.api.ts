import type { FastifyRequest } from 'fastify';
import { createApp, loadAppView, rotateAppSecret, updateApp, type AppUpdate } from '../../apps/apps.js';
import type { HttpContext } from '../../server/http-context.js';
import type { AppStatus } from '../../storage/ports.js';
import { ManagementError } from '../management-error.js';
import { getApp, listApps } from '../services.js';
import { appJson } from '../views.js';
import type { ManagementRoute } from './management-api.js';
import { appWithSecret, listOf, listQuery, rotatedSecret, schemas } from './schemas.js';

const appKeyOf = (request: FastifyRequest) => (request.params as { app_key: string }).app_key;

/** `/apps`: list, create, show, change, rotate the secret (the app module does the work, docs/adr/0130). */
export function appRoutes(ctx: HttpContext): ManagementRoute[] {
  const { core } = ctx;
  const tag = 'Management: apps' as const;
  return [
    {
      method: 'GET',
      url: '/apps',
      tag,
      summary: 'List apps, by status and search',
      description: '`q` matches part of the name or the AppKey, case-insensitive. In AppKey order.',
      querystring: listQuery({
        status: { type: 'string', enum: ['testing', 'submitted', 'live', 'suspended'] },
        q: { type: 'string', maxLength: 100 },
      }),
      success: { 200: listOf('App') },
      handler: async (request) => {
        const q = request.query as { status?: string; q?: string; limit?: number; cursor?: string };
        const page = await listApps(core.storage, q);
        return { items: page.items.map(appJson), next_cursor: page.nextCursor };
      },
    },
    {
      method: 'POST',
      url: '/apps',
      tag,
      summary: 'Register an app; answers its app_key and app_secret (shown once)',
      body: schemas.AppCreate,
      success: { 201: appWithSecret },
      handler: async (request, reply, actor) => {
        const b = request.body as {
          name: string;
          callbacks: string[];
          status?: AppStatus;
          scopes?: string[];
          require_subscription?: boolean;
          purchase_url?: string | null;
        };
        const created = await createApp(core.storage, core.secretKey, {
          name: b.name,
          callbacks: b.callbacks,
          scopes: b.scopes,
          status: b.status ?? 'live',
          now: core.now(),
          actor: actor.name,
          requireSubscription: b.require_subscription,
          purchaseUrl: b.purchase_url,
        });
        const view = await getApp(core.storage, created.appKey);
        request.log.info({ appKey: created.appKey, actor: actor.name }, 'app created through the management API');
        return reply.code(201).send({ ...appJson(view), app_secret: created.appSecret });
      },
    },
    {
      method: 'GET',
      url: '/apps/:app_key',
      tag,
      summary: 'Show an app',
      success: { 200: schemas.App },
      handler: async (request) => appJson(await getApp(core.storage, appKeyOf(request))),
    },
    {
      method: 'PATCH',
      url: '/apps/:app_key',
      tag,
      summary:
        'Change an app: name, callbacks, status, scopes, permission packages, quotas, webhook, subscription requirement, message topics',
      description:
        'Only the fields sent change. A change takes effect at once on this node and within the app cache bound (1 s by default) on every other one. ' +
        '`status: suspended` refuses the app’s token requests and API calls at once; `live` reinstates it (and approves an app under review).',
      body: schemas.AppUpdate,
      success: { 200: schemas.App },
      handler: async (request, _reply, actor) => {
        const appKey = appKeyOf(request);
        const b = request.body as {
          name?: string;
          callbacks?: string[];
          status?: AppStatus;
          scopes?: string[];
          permissions?: string[] | null;
          quota_per_day?: number | null;
          quota_per_second?: number | null;
          receiver_quota_per_day?: number | null;
          webhook_url?: string | null;
          require_subscription?: boolean;
          purchase_url?: string | null;
          topics?: string[];
        };
        const update: AppUpdate = {
          name: b.name,
          callbacks: b.callbacks,
          status: b.status,
          scopes: b.scopes,
          permissions: b.permissions,
          quotaPerDay: b.quota_per_day,
          quotaPerSecond: b.quota_per_second,
          receiverQuotaPerDay: b.receiver_quota_per_day,
          webhookUrl: b.webhook_url,
          requireSubscription: b.require_subscription,
          purchaseUrl: b.purchase_url,
          topics: b.topics,
        };
        for (const k of Object.keys(update) as Array<keyof AppUpdate>) if (update[k] === undefined) delete update[k];
        const before = await getApp(core.storage, appKey);
        const detail: Record<string, unknown> = { changed: Object.keys(b) };
        if (b.status !== undefined && b.status !== before.status)
          Object.assign(detail, { from: before.status, to: b.status });
        if (b.callbacks !== undefined) detail.callbacks = b.callbacks;
        const done = await updateApp(core.storage, appKey, update, core.now(), {
          actor: actor.name,
          event: 'app.updated',
          detail,
        });
        if (!done) throw new ManagementError(404, 'not_found', `no app with app_key ${appKey}`);
        return appJson((await loadAppView(core.storage, appKey)) ?? before);
      },
    },
    {
      method: 'POST',
      url: '/apps/:app_key/rotate-secret',
      tag,
      summary: 'Give an app a new secret (shown once); the old one works for overlap_hours',
      description:
        'At the token, revocation and introspection endpoints and for signed API calls alike (docs/adr/0060). `overlap_hours` 0 stops the old secret at once (a leak).',
      body: schemas.SecretRotation,
      success: { 200: rotatedSecret },
      handler: async (request, _reply, actor) => {
        const appKey = appKeyOf(request);
        const hours = (request.body as { overlap_hours?: number }).overlap_hours ?? 24;
        const now = core.now();
        const secret = await rotateAppSecret(core.storage, core.secretKey, appKey, hours, now, { actor: actor.name });
        if (secret === undefined) throw new ManagementError(404, 'not_found', `no app with app_key ${appKey}`);
        return {
          app_key: appKey,
          app_secret: secret,
          previous_secret_expires_at: hours > 0 ? new Date(now + hours * 3600_000).toISOString() : null,
        };
      },
    },
  ];
}
