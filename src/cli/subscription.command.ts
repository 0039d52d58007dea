/**
 * `shouquan subscription create|renew|cancel|list|show`: sellers' subscriptions to apps that
 * require one (docs/adr/0140), with the management API's JSON (`--json`, docs/management-api.md).
 */
import {
  cancelSubscription,
  createSubscription,
  getSubscription,
  listSubscriptions,
  renewSubscription,
  subscriptionJson,
} from '../subscriptions/subscriptions.js';
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

export const SUBSCRIPTION_HELP: Record<string, string> = {
  'subscription create': `Usage: shouquan subscription create --app-key KEY --seller-id ID --expires-at TIME [--plan NAME] [--database URL] [--json]

Record that a seller bought an app (POST /admin/api/v1/subscriptions). For an app with
require_subscription, the seller may authorize it until TIME and its tokens never outlive it.
One active subscription per seller and app: renew it instead. Audited.
  --app-key KEY      the app
  --seller-id ID     the seller
  --expires-at TIME  the end, ISO 8601 with a zone (2027-01-01T00:00:00Z, 2027-01-01T08:00:00+08:00)
  --plan NAME        the plan sold, as the service market names it
${DATABASE_HELP}
  --json             print the subscription as the API answers ({"subscription_id",…})`,
  'subscription renew': `Usage: shouquan subscription renew --subscription-id ID --expires-at TIME [--database URL] [--json]

Move a subscription's end (POST /admin/api/v1/subscriptions/{subscription_id}/renew). A later end
extends the seller's live authorization without a new consent: the next refresh gets tokens up to
it. An earlier end caps the live tokens at once. A cancelled subscription cannot be renewed. Audited.
  --subscription-id ID  the subscription (sub_…)
  --expires-at TIME     the new end, ISO 8601 with a zone
${DATABASE_HELP}
  --json                print the subscription as the API answers`,
  'subscription cancel': `Usage: shouquan subscription cancel --subscription-id ID [--database URL] [--json]

End a subscription now (POST /admin/api/v1/subscriptions/{subscription_id}/cancel): the seller's
tokens for the app stop working at once (introspection active:false, gateway code 27 / 401) and
the app gets subscription.expired. Cancelling again changes nothing. Audited.
  --subscription-id ID  the subscription (sub_…)
${DATABASE_HELP}
  --json                print the subscription as the API answers`,
  'subscription list': `Usage: shouquan subscription list [--app-key KEY] [--seller-id ID] [--status active|ended] [--limit N] [--cursor C] [--database URL] [--json]

List subscriptions, newest first (GET /admin/api/v1/subscriptions).
  --app-key KEY      only this app's
  --seller-id ID     only this seller's
  --status S         active, or ended (expired or cancelled); default both
  --limit N          1 to 200 (default 50)
  --cursor C         the next_cursor of the previous page
${DATABASE_HELP}
  --json             print {"items":[subscription…],"next_cursor"} as the API answers`,
  'subscription show': `Usage: shouquan subscription show --subscription-id ID [--database URL] [--json]

Show a subscription (GET /admin/api/v1/subscriptions/{subscription_id}).
  --subscription-id ID  the subscription (sub_…)
${DATABASE_HELP}
  --json                print the subscription as the API answers`,
};

export const SUBSCRIPTION_SUBCOMMANDS = new Set(['create', 'renew', 'cancel', 'list', 'show']);

function print(s: ReturnType<typeof subscriptionJson>, json: boolean, out: Out, what?: string): void {
  if (json) return out.log(JSON.stringify(s));
  const rows = [
    ['subscription_id:', s.subscription_id],
    ['app_key:', s.app_key],
    ['seller_id:', s.seller_id],
    ['plan:', s.plan ?? '-'],
    ['status:', s.status],
    ['expires_at:', s.expires_at],
    ...(s.cancelled_at ? [['cancelled_at:', s.cancelled_at]] : []),
  ];
  if (what) out.log(what);
  out.log(rows.map(([k, v]) => `${k!.padEnd(17)}${v}`).join('\n'));
}

/** Run `shouquan subscription <sub>`; returns the exit code. */
export async function subscriptionCommand(sub: string, args: string[], out: Out): Promise<number> {
  const command = `subscription ${sub}`;
  if (sub === 'create') {
    const values = parseFlags(
      args,
      {
        ...databaseFlag,
        'app-key': { type: 'string' },
        'seller-id': { type: 'string' },
        'expires-at': { type: 'string' },
        plan: { type: 'string' },
      },
      command,
    );
    if (values.help) return (out.log(SUBSCRIPTION_HELP[command]!), 0);
    const input = {
      appKey: required(values, 'app-key'),
      sellerId: required(values, 'seller-id'),
      expiresAt: required(values, 'expires-at'),
      plan: optional(values, 'plan'),
    };
    return withStorage(values.database, async (storage) => {
      const now = Date.now();
      print(
        subscriptionJson(await createSubscription(storage, input, 'cli', now), now),
        values.json === true,
        out,
        'subscription recorded',
      );
      return 0;
    });
  }
  if (sub === 'renew') {
    const values = parseFlags(
      args,
      { ...databaseFlag, 'subscription-id': { type: 'string' }, 'expires-at': { type: 'string' } },
      command,
    );
    if (values.help) return (out.log(SUBSCRIPTION_HELP[command]!), 0);
    const id = required(values, 'subscription-id');
    const expiresAt = required(values, 'expires-at');
    return withStorage(values.database, async (storage) => {
      const now = Date.now();
      print(
        subscriptionJson(await renewSubscription(storage, id, expiresAt, 'cli', now), now),
        values.json === true,
        out,
        'subscription renewed',
      );
      return 0;
    });
  }
  if (sub === 'cancel') {
    const values = parseFlags(args, { ...databaseFlag, 'subscription-id': { type: 'string' } }, command);
    if (values.help) return (out.log(SUBSCRIPTION_HELP[command]!), 0);
    const id = required(values, 'subscription-id');
    return withStorage(values.database, async (storage) => {
      const now = Date.now();
      print(
        subscriptionJson(await cancelSubscription(storage, id, 'cli', now), now),
        values.json === true,
        out,
        "subscription cancelled; the seller's tokens for the app no longer work",
      );
      return 0;
    });
  }
  if (sub === 'show') {
    const values = parseFlags(args, { ...databaseFlag, 'subscription-id': { type: 'string' } }, command);
    if (values.help) return (out.log(SUBSCRIPTION_HELP[command]!), 0);
    const id = required(values, 'subscription-id');
    return withStorage(values.database, async (storage) => {
      print(subscriptionJson(await getSubscription(storage, id), Date.now()), values.json === true, out);
      return 0;
    });
  }
  if (sub === 'list') {
    const values = parseFlags(
      args,
      {
        ...databaseFlag,
        'app-key': { type: 'string' },
        'seller-id': { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
      },
      command,
    );
    if (values.help) return (out.log(SUBSCRIPTION_HELP[command]!), 0);
    return withStorage(values.database, async (storage) => {
      const now = Date.now();
      const page = await listSubscriptions(
        storage,
        {
          app_key: optional(values, 'app-key'),
          seller_id: optional(values, 'seller-id'),
          status: optional(values, 'status'),
          limit: optional(values, 'limit'),
          cursor: optional(values, 'cursor'),
        },
        now,
      );
      const items = page.items.map((s) => subscriptionJson(s, now));
      if (values.json) out.log(JSON.stringify({ items, next_cursor: page.nextCursor }));
      else {
        out.log(
          items.length === 0
            ? 'no subscriptions'
            : table([
                ['SUBSCRIPTION_ID', 'APP_KEY', 'SELLER_ID', 'PLAN', 'STATUS', 'EXPIRES_AT'],
                ...items.map((s) => [s.subscription_id, s.app_key, s.seller_id, s.plan ?? '-', s.status, s.expires_at]),
              ]),
        );
        if (page.nextCursor) out.log(`more: --cursor ${page.nextCursor}`);
      }
      return 0;
    });
  }
  throw new UsageError(`unknown command "subscription ${sub}" (try "shouquan subscription --help")`);
}
