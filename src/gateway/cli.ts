import { gatewayMethods } from './methods/index.js';
import { envDatabaseUrl } from '../config.js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openStorage } from '../runtime.js';
import { resolveGatewayOptions, type GatewayOptions } from './options.js';
import { updateApp, type AppUpdate } from '../apps/apps.js';

type Out = { log: (s: string) => void; err: (s: string) => void };

/** Help for `shouquan app gateway`. */
export const APP_GATEWAY_HELP = `Usage: shouquan app gateway --app-key KEY [flags] [--database URL] [--json]

Show or change an app's open API gateway settings (docs/gateway.md). Without change flags,
prints the current settings.
  --app-key KEY          the app
  --webhook URL          where authorization changes are POSTed ("none" to stop)
  --permissions LIST     comma-separated permission packages: * | store | products | orders |
                         read | write | orders.read … ("all" for every method)
  --quota-day N          calls per GMT+8 day ("default" for the server's)
  --quota-second N       calls per second ("default" for the server's)
  --receiver-quota-day N order receivers it may decrypt per GMT+8 day (orders.receiver.get;
                         "default" for the server's, gateway option receiverQuotaPerDay)
  --fragment-redirect R  where the client-side flow (response_type=token) may send this app's
                         tokens in the fragment: exact-callback (only a registered callback's
                         exact origin and path), redirect-rule (wherever the profile's redirect
                         rule allows, e.g. the documents' domain rule) or profile (the profile's
                         setting; docs/security.md#deliberate-deviations)
  --database URL         sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL)
  --json                 print the settings as JSON`;

function quota(flag: string, v: string): number | null {
  if (v === 'default') return null;
  if (!/^\d+$/.test(v) || Number(v) <= 0)
    throw new Error(`--${flag} must be a whole number greater than 0 or "default", got "${v}"`);
  return Number(v);
}

/** `shouquan app gateway`: per-app gateway settings. Returns the exit code. */
export async function appGatewayCommand(args: string[], out: Out, defaultDatabaseUrl: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'app-key': { type: 'string' },
      webhook: { type: 'string' },
      permissions: { type: 'string' },
      'quota-day': { type: 'string' },
      'quota-second': { type: 'string' },
      'receiver-quota-day': { type: 'string' },
      'fragment-redirect': { type: 'string' },
      database: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return (out.log(APP_GATEWAY_HELP), 0);
  const appKey = values['app-key'];
  if (appKey === undefined) {
    out.err('shouquan: --app-key is required');
    return 2;
  }
  const changes: AppUpdate = {};
  if (values.webhook !== undefined) {
    if (values.webhook === 'none') changes.webhookUrl = null;
    else {
      let u: URL;
      try {
        u = new URL(values.webhook);
      } catch {
        throw new Error(`--webhook must be an absolute URL, got "${values.webhook}"`);
      }
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('--webhook must be an http or https URL');
      changes.webhookUrl = values.webhook;
    }
  }
  if (values.permissions !== undefined) {
    const list = values.permissions
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    if (list.some((p) => !/^(\*|[a-z]+|[a-z]+\.(read|write))$/.test(p)))
      throw new Error(`--permissions entries look like orders, read or orders.read, got "${values.permissions}"`);
    changes.permissions = values.permissions === 'all' ? null : list;
    // A misspelt package ("ordres") would quietly refuse every call: say so, but allow packages
    // that only upstream methods (gateway config) use.
    const known = new Set(gatewayMethods.map((m) => m.permission.split('.')[0]).filter((p): p is string => !!p));
    for (const p of list) {
      const pkg = p.split('.')[0] ?? '';
      if (p !== '*' && p !== 'read' && p !== 'write' && p !== 'all' && !known.has(pkg)) {
        out.err(
          `shouquan: note: no built-in method needs the permission package "${pkg}" (built-in: ${[...known].sort().join(', ')}); fine if an upstream method in --gateway-config does`,
        );
      }
    }
  }
  if (values['quota-day'] !== undefined) changes.quotaPerDay = quota('quota-day', values['quota-day']);
  if (values['quota-second'] !== undefined) changes.quotaPerSecond = quota('quota-second', values['quota-second']);
  if (values['receiver-quota-day'] !== undefined)
    changes.receiverQuotaPerDay = quota('receiver-quota-day', values['receiver-quota-day']);
  const fr = values['fragment-redirect'];
  if (fr !== undefined) {
    if (fr !== 'exact-callback' && fr !== 'redirect-rule' && fr !== 'profile')
      throw new Error(`--fragment-redirect must be exact-callback, redirect-rule or profile, got "${fr}"`);
    changes.fragmentRedirect = fr === 'profile' ? null : fr;
  }
  const storage = await openStorage(values.database ?? (envDatabaseUrl() || defaultDatabaseUrl));
  try {
    if (!(await storage.apps.find(appKey))) throw new Error(`no app with app_key ${appKey}`);
    const gw = storage.gateway;
    if (!gw) throw new Error('this database has no gateway tables');
    if (Object.keys(changes).length > 0)
      await updateApp(storage, appKey, changes, Date.now(), {
        actor: 'cli',
        event: 'app.gateway_settings_changed',
        detail: { changed: Object.keys(changes) },
      });
    const s = await gw.apps.find(appKey);
    const view = {
      app_key: appKey,
      signing_secret_on_file: Boolean(s?.sealedSecret),
      webhook_url: s?.webhookUrl ?? null,
      permissions: s?.permissions ?? ['*'],
      quota_per_day: s?.quotaPerDay ?? 'default',
      quota_per_second: s?.quotaPerSecond ?? 'default',
      receiver_quota_per_day: s?.receiverQuotaPerDay ?? 'default',
      fragment_redirect: s?.fragmentRedirect ?? 'profile',
      client_side_flow_used_at: s?.clientSideFlowAt ? new Date(s.clientSideFlowAt).toISOString() : null,
    };
    if (values.json) out.log(JSON.stringify(view));
    else
      out.log(
        Object.entries(view)
          .map(([k, v]) => `${`${k}:`.padEnd(24)}${Array.isArray(v) ? v.join(',') : String(v)}`)
          .join('\n'),
      );
    return 0;
  } finally {
    await storage.close();
  }
}

/** Read a gateway settings file (JSON with the `GatewayOptions` fields); throws naming the problem. */
export function loadGatewayOptions(path: string | undefined): GatewayOptions | undefined {
  if (path === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read gateway settings ${path}: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`gateway settings ${path} must be a JSON object`);
  const o = parsed as GatewayOptions;
  resolveGatewayOptions(o);
  return o;
}
