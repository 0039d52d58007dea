/**
 * `shouquan app create|list|show|update|rotate-secret`: the app module (src/apps/, docs/adr/0130)
 * from the command line, with the management API's JSON (`--json`, docs/management-api.md).
 * `app gateway` lives in src/gateway/cli.ts.
 */
import {
  checkPurchaseUrl,
  createApp,
  rotateAppSecret,
  updateApp,
  validateCallbackUrl,
  validateScopeToken,
  type AppUpdate,
} from '../apps/apps.js';
import { ManagementError } from '../management/management-error.js';
import { getApp, listApps } from '../management/services.js';
import { appJson } from '../management/views.js';
import { loadSecretKey } from '../runtime.js';
import type { AppStatus } from '../storage/ports.js';
import {
  DATABASE_HELP,
  databaseFlag,
  optional,
  parseFlags,
  required,
  table,
  UsageError,
  withStorage,
  type Out,
} from './cli-kit.js';

export const APP_HELP: Record<string, string> = {
  'app create': `Usage: shouquan app create --name NAME --callback URL [--callback URL…] [--require-subscription [--purchase-url URL]] [--database URL] [--json]

Register an app. Prints its app_key and app_secret (the same values as client_id and
client_secret). The secret is stored hashed and shown only this once.
  --name NAME        the app's name, shown to sellers on the consent page
  --callback URL     a registered redirect URI (repeat for several)
  --scope SCOPE      a scope the app may request (repeatable; default seller)
  --status STATUS    live (default), testing, submitted or suspended
  --require-subscription  sellers need an active subscription (shouquan subscription create) to
                     authorize it, and its tokens end with the subscription
  --purchase-url URL where sellers buy a subscription (linked from the authorize page)
  --secret-key-file PATH  the server key's file, as serve takes it (env SHOUQUAN_SECRET_KEY_FILE)
${DATABASE_HELP}
  --json             print {"app_key","app_secret","client_id","client_secret","name","callbacks","require_subscription","purchase_url"}`,
  'app list': `Usage: shouquan app list [--status S] [--q TEXT] [--limit N] [--cursor C] [--database URL] [--json]

List apps in AppKey order, a page at a time (GET /admin/api/v1/apps).
  --status S         testing, submitted (waiting for review), live or suspended
  --q TEXT           part of the name or the AppKey, any case
  --limit N          1 to 200 (default 50)
  --cursor C         the next_cursor of the previous page
${DATABASE_HELP}
  --json             print {"items":[app…],"next_cursor"} as the API answers`,
  'app show': `Usage: shouquan app show --app-key KEY [--database URL] [--json]

Show an app: name, status, callbacks, scopes, permission packages, quotas, webhook (GET /admin/api/v1/apps/{app_key}).
  --app-key KEY      the app
${DATABASE_HELP}
  --json             print the app as the API answers`,
  'app update': `Usage: shouquan app update --app-key KEY [change flags] [--database URL] [--json]

Change an app (PATCH /admin/api/v1/apps/{app_key}); only what is given changes. Every node
sees the change within the app cache's bound (1 s by default). Audited.
  --app-key KEY          the app
  --name NAME            a new name
  --callback URL         the full list of callbacks (repeat for several; replaces the list)
  --status S             testing, live (approves an app under review) or suspended (its tokens
                         and API calls are refused at once)
  --scope SCOPE          the full list of scopes the app may request (repeatable)
  --permissions LIST     comma-separated permission packages (orders, read, orders.read …; "all")
  --quota-day N          calls per GMT+8 day ("default" for the server's)
  --quota-second N       calls per second ("default" for the server's)
  --receiver-quota-day N order receivers it may decrypt per GMT+8 day (orders.receiver.get;
                         "default" for the server's, gateway option receiverQuotaPerDay)
  --require-subscription yes|no  sellers need an active subscription to authorize it; its tokens
                         end with the subscription
  --purchase-url URL     where sellers buy a subscription ("none" to remove)
  --webhook URL          where authorization changes and messages are POSTed ("none" to stop)
  --topics T1,T2         the full list of message service topics the app subscribes to
                         (trade.created, item.updated …; "none"; docs/gateway.md#message-service)
${DATABASE_HELP}
  --json                 print the app as the API answers`,
  'app rotate-secret': `Usage: shouquan app rotate-secret --app-key KEY [--overlap-hours 24] [--database URL] [--json]

Give an app a new AppSecret, printed once. The old secret keeps working for --overlap-hours
(0 to 168, default 24; 0 stops it at once, e.g. after a leak) so deployments can switch over:
at the token, revocation and introspection endpoints and for signed API calls (/router/rest).
  --app-key KEY        the app
  --overlap-hours N    how long the old secret still works (default 24)
  --secret-key-file PATH  the server key's file, as serve takes it (env SHOUQUAN_SECRET_KEY_FILE)
${DATABASE_HELP}
  --json               print {"app_key","app_secret","client_secret","previous_secret_expires_at"}`,
};

export const APP_SUBCOMMANDS = new Set(['create', 'list', 'show', 'update', 'rotate-secret']);

const STATUSES = ['live', 'testing', 'submitted', 'suspended'];

function quota(flag: string, v: string | undefined): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'default') return null;
  if (!/^\d+$/.test(v) || Number(v) <= 0)
    throw new UsageError(`--${flag} must be a whole number greater than 0 or "default", got "${v}"`);
  return Number(v);
}

function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Commands that seal secrets read the server key like serve does (docs/adr/0115). */
const keyFileFlag = { 'secret-key-file': { type: 'string' } } as const;
const keyFile = (v: unknown) => (typeof v === 'string' ? v : process.env.SHOUQUAN_SECRET_KEY_FILE || undefined);

/** Run `shouquan app <sub>`; returns the exit code. */
export async function appCommand(sub: string, args: string[], out: Out): Promise<number> {
  const command = `app ${sub}`;
  if (sub === 'create') {
    const values = parseFlags(
      args,
      {
        ...databaseFlag,
        ...keyFileFlag,
        name: { type: 'string' },
        callback: { type: 'string', multiple: true },
        scope: { type: 'string', multiple: true },
        status: { type: 'string' },
        'require-subscription': { type: 'boolean' },
        'purchase-url': { type: 'string' },
      },
      command,
    );
    if (values.help) return (out.log(APP_HELP[command]!), 0);
    const status = (values.status ?? 'live') as AppStatus;
    if (!STATUSES.includes(status)) throw new UsageError('--status must be live, testing, submitted or suspended');
    const name = values.name;
    if (typeof name !== 'string') throw new UsageError('--name is required');
    const callbacks = (values.callback as string[] | undefined) ?? [];
    if (callbacks.length === 0) throw new UsageError('--callback is required');
    if (name.trim() === '') throw new UsageError('--name may not be empty');
    callbacks.forEach((c) => usage(() => validateCallbackUrl(c)));
    ((values.scope as string[] | undefined) ?? []).forEach((sc) => usage(() => validateScopeToken(sc)));
    const requireSubscription = values['require-subscription'] === true;
    const purchaseUrl = optional(values, 'purchase-url') ?? null;
    if (purchaseUrl !== null) usage(() => checkPurchaseUrl(purchaseUrl));
    return withStorage(values.database, async (storage) => {
      const created = await createApp(storage, await loadSecretKey(storage, keyFile(values['secret-key-file'])), {
        name,
        callbacks,
        scopes: values.scope as string[] | undefined,
        status,
        actor: 'cli',
        requireSubscription,
        purchaseUrl,
      });
      if (values.json) {
        out.log(
          JSON.stringify({
            app_key: created.appKey,
            app_secret: created.appSecret,
            client_id: created.appKey,
            client_secret: created.appSecret,
            name: name.trim(),
            callbacks,
            ...(requireSubscription || purchaseUrl !== null
              ? { require_subscription: requireSubscription, purchase_url: purchaseUrl }
              : {}),
          }),
        );
      } else
        out.log(
          `app_key:    ${created.appKey}\napp_secret: ${created.appSecret}\n(client_id and client_secret are the same values. The secret is shown only now: keep it safe.)`,
        );
      return 0;
    });
  }
  if (sub === 'list') {
    const values = parseFlags(
      args,
      {
        ...databaseFlag,
        status: { type: 'string' },
        q: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
      },
      command,
    );
    if (values.help) return (out.log(APP_HELP[command]!), 0);
    return withStorage(values.database, async (storage) => {
      const page = await listApps(storage, {
        status: optional(values, 'status'),
        q: optional(values, 'q'),
        limit: optional(values, 'limit'),
        cursor: optional(values, 'cursor'),
      });
      if (values.json) out.log(JSON.stringify({ items: page.items.map(appJson), next_cursor: page.nextCursor }));
      else {
        out.log(
          page.items.length === 0
            ? 'no apps'
            : table([['APP_KEY', 'STATUS', 'NAME'], ...page.items.map((a) => [a.appKey, a.status, a.name])]),
        );
        if (page.nextCursor) out.log(`more: --cursor ${page.nextCursor}`);
      }
      return 0;
    });
  }
  if (sub === 'show') {
    const values = parseFlags(args, { ...databaseFlag, 'app-key': { type: 'string' } }, command);
    if (values.help) return (out.log(APP_HELP[command]!), 0);
    const appKey = required(values, 'app-key');
    return withStorage(values.database, async (storage) => {
      printApp(appJson(await getApp(storage, appKey)), values.json === true, out);
      return 0;
    });
  }
  if (sub === 'update') {
    const values = parseFlags(
      args,
      {
        ...databaseFlag,
        'app-key': { type: 'string' },
        name: { type: 'string' },
        callback: { type: 'string', multiple: true },
        status: { type: 'string' },
        scope: { type: 'string', multiple: true },
        permissions: { type: 'string' },
        'quota-day': { type: 'string' },
        'quota-second': { type: 'string' },
        'receiver-quota-day': { type: 'string' },
        webhook: { type: 'string' },
        'require-subscription': { type: 'string' },
        'purchase-url': { type: 'string' },
        topics: { type: 'string' },
      },
      command,
    );
    if (values.help) return (out.log(APP_HELP[command]!), 0);
    const appKey = required(values, 'app-key');
    const update: AppUpdate = {};
    if (values.name !== undefined) update.name = values.name as string;
    if (values.callback !== undefined) update.callbacks = values.callback as string[];
    if (values.status !== undefined) {
      if (!['testing', 'live', 'suspended'].includes(values.status as string))
        throw new UsageError('--status must be testing, live or suspended');
      update.status = values.status as AppStatus;
    }
    if (values.scope !== undefined) update.scopes = values.scope as string[];
    const permissions = optional(values, 'permissions');
    if (permissions !== undefined)
      update.permissions =
        permissions === 'all'
          ? null
          : permissions
              .split(',')
              .map((p) => p.trim())
              .filter((p) => p !== '');
    const perDay = quota('quota-day', optional(values, 'quota-day'));
    if (perDay !== undefined) update.quotaPerDay = perDay;
    const perSecond = quota('quota-second', optional(values, 'quota-second'));
    if (perSecond !== undefined) update.quotaPerSecond = perSecond;
    const receivers = quota('receiver-quota-day', optional(values, 'receiver-quota-day'));
    if (receivers !== undefined) update.receiverQuotaPerDay = receivers;
    const webhook = optional(values, 'webhook');
    if (webhook !== undefined) update.webhookUrl = webhook === 'none' ? null : webhook;
    const requireSubscription = optional(values, 'require-subscription');
    if (requireSubscription !== undefined) {
      if (!['yes', 'no', 'true', 'false'].includes(requireSubscription))
        throw new UsageError(`--require-subscription must be yes or no, got "${requireSubscription}"`);
      update.requireSubscription = requireSubscription === 'yes' || requireSubscription === 'true';
    }
    const purchaseUrl = optional(values, 'purchase-url');
    if (purchaseUrl !== undefined) update.purchaseUrl = purchaseUrl === 'none' ? null : purchaseUrl;
    const topics = optional(values, 'topics');
    if (topics !== undefined)
      update.topics =
        topics === 'none'
          ? []
          : topics
              .split(',')
              .map((t) => t.trim())
              .filter((t) => t !== '');
    if (Object.keys(update).length === 0) {
      throw new UsageError(
        'nothing to change: give --name, --callback, --status, --scope, --permissions, --quota-day, --quota-second, --receiver-quota-day, --webhook, --require-subscription, --purchase-url or --topics',
      );
    }
    return withStorage(values.database, async (storage) => {
      const before = await getApp(storage, appKey);
      const detail: Record<string, unknown> = { changed: Object.keys(update) };
      if (update.status !== undefined && update.status !== before.status)
        Object.assign(detail, { from: before.status, to: update.status });
      try {
        if (!(await updateApp(storage, appKey, update, Date.now(), { actor: 'cli', event: 'app.updated', detail })))
          throw new ManagementError(404, 'not_found', `no app with app_key ${appKey}`);
      } catch (e) {
        if (e instanceof ManagementError) throw e;
        throw new UsageError((e as Error).message);
      }
      printApp(appJson(await getApp(storage, appKey)), values.json === true, out);
      return 0;
    });
  }
  if (sub === 'rotate-secret') {
    const values = parseFlags(
      args,
      { ...databaseFlag, ...keyFileFlag, 'app-key': { type: 'string' }, 'overlap-hours': { type: 'string' } },
      command,
    );
    if (values.help) return (out.log(APP_HELP[command]!), 0);
    const appKey = required(values, 'app-key');
    const rawHours = optional(values, 'overlap-hours') ?? '24';
    const hours = /^\d{1,3}$/.test(rawHours) ? Number(rawHours) : NaN;
    if (!(hours >= 0 && hours <= 168))
      throw new UsageError(`--overlap-hours must be a whole number from 0 to 168, got "${rawHours}"`);
    return withStorage(values.database, async (storage) => {
      const now = Date.now();
      const secret = await rotateAppSecret(
        storage,
        await loadSecretKey(storage, keyFile(values['secret-key-file'])),
        appKey,
        hours,
        now,
        { actor: 'cli' },
      );
      if (secret === undefined) throw new Error(`no app with app_key ${appKey}`);
      const until = hours > 0 ? new Date(now + hours * 3600_000).toISOString() : null;
      if (values.json)
        out.log(
          JSON.stringify({
            app_key: appKey,
            app_secret: secret,
            client_secret: secret,
            previous_secret_expires_at: until,
          }),
        );
      else
        out.log(
          `app_secret: ${secret}\n${until ? `(the previous secret keeps working until ${until})` : '(the previous secret no longer works)'} The secret is shown only now: keep it safe.`,
        );
      return 0;
    });
  }
  throw new UsageError(`unknown command "app ${sub}" (try "shouquan app --help")`);
}

function printApp(app: ReturnType<typeof appJson>, json: boolean, out: Out): void {
  if (json) return out.log(JSON.stringify(app));
  const show = (v: unknown) => (v === null ? '-' : Array.isArray(v) ? v.join(' ') : String(v));
  out.log(
    [
      ['app_key:', app.app_key],
      ['name:', app.name],
      ['status:', app.status],
      ['callbacks:', show(app.callbacks)],
      ['scopes:', show(app.scopes)],
      ['permissions:', app.permissions === null ? 'all' : show(app.permissions)],
      ['quota_per_day:', app.quota_per_day === null ? 'default' : String(app.quota_per_day)],
      ['quota_per_second:', app.quota_per_second === null ? 'default' : String(app.quota_per_second)],
      ['receiver_quota_per_day:', app.receiver_quota_per_day === null ? 'default' : String(app.receiver_quota_per_day)],
      ['webhook_url:', show(app.webhook_url)],
      ['require_subscription:', app.require_subscription ? 'yes' : 'no'],
      ['purchase_url:', show(app.purchase_url)],
      ['topics:', app.topics.length === 0 ? 'none' : app.topics.join(',')],
      ['created_at:', app.created_at],
      ...(app.previous_secret_expires_at ? [['previous secret until:', app.previous_secret_expires_at]] : []),
    ]
      .map(([k, v]) => `${k!.padEnd(24)}${v}`)
      .join('\n'),
  );
}
