import { publicStoreId, publicStoreIdOf } from '../sellers/store-id.js';
import type { FastifyBaseLogger } from 'fastify';
import { authenticateBearer } from '../core/bearer.js';
import type { CoreContext } from '../core/context.js';
import { OAuthError } from '../core/errors.js';
import { storesOf, type AppRecord, type Storage, type TokenWithGrant } from '../storage/ports.js';
import { GATEWAY_CODES, GatewayError, invalidArgument } from './errors.js';
import { gatewayMethods } from './methods/index.js';
import { impliedPermission, type Args, type GatewayMethod } from './methods/method.js';
import { resolveGatewayOptions, type GatewayOptions, type ResolvedGatewayOptions } from './options.js';
import { covers, methodPrefix, scopePermissions } from './permissions.js';
import type { GatewayAppRecord, GatewayStorage } from '../storage/gateway-ports.js';
import { chargeQuota, leaseQuota, type QuotaLeases } from './quota.js';
import type { CallTracker } from './call-log.js';
import { forwardUpstream } from './upstream.js';

/** The assembled gateway: methods under the profile's prefix, storage and settings. */
export interface Gateway {
  core: CoreContext;
  storage: GatewayStorage;
  options: ResolvedGatewayOptions;
  prefix: string;
  /** Built-in and upstream-only methods by full name (`shouquan.orders.list`). */
  methods: Map<string, GatewayMethod>;
  /** The app quotas' windows, leased from the shared limit store (docs/adr/0111). */
  quota: QuotaLeases;
  /** Give back unused quota leases and stop the timers. */
  close(): Promise<void>;
  /** Where calls are recorded for the developer console. */
  readonly calls?: CallTracker;
  /** The message service: `tmc.messages.*` and the events of the gateway's own writes. */
  readonly messages?: import('../messages/service.js').MessageService;
}

/** Build the gateway for a core context; throws when the storage has no gateway tables. */
export function createGateway(
  core: CoreContext,
  options?: GatewayOptions,
  parts: { calls?: CallTracker; messages?: import('../messages/service.js').MessageService } = {},
): Gateway {
  const storage = core.storage.gateway;
  if (!storage) throw new Error('this storage has no gateway tables (run "shouquan migrate")');
  const resolved = resolveGatewayOptions(options);
  const prefix = methodPrefix(core.profile);
  const methods = new Map<string, GatewayMethod>();
  for (const m of gatewayMethods) methods.set(`${prefix}.${m.name}`, m);
  for (const full of Object.keys(resolved.upstreams)) {
    if (methods.has(full)) continue;
    if (!full.startsWith(`${prefix}.`))
      throw new Error(`gateway upstream method ${full} must start with the profile's prefix "${prefix}."`);
    const name = full.slice(prefix.length + 1);
    methods.set(full, {
      name,
      summary: 'answered by the upstream service (gateway option upstreams)',
      permission: impliedPermission(name),
      needsSession: true,
      args: {},
      answer: { type: 'object' },
      handle: async () => {
        throw new GatewayError(GATEWAY_CODES.invalidMethod, 'isv.invalid-method', `method ${full} has no handler`);
      },
    });
  }
  // Quotas are leased from the limit store every node shares (docs/adr/0111).
  const quota = leaseQuota(core.storage.limits, { now: () => core.now() });
  return { core, storage, quota, options: resolved, prefix, methods, ...parts, close: () => quota.stop() };
}

/** The response key of a method: dots become underscores, plus `_response` (TOP). */
export function responseKey(fullName: string): string {
  return `${fullName.replace(/\./g, '_')}_response`;
}

/**
 * The seller's access token (RFC 6750 semantics) for a gateway call: live, and issued to the
 * calling app when one is known. Failures are TOP code 27.
 */
export async function authenticateSession(gw: Gateway, accessToken: string, appKey?: string): Promise<TokenWithGrant> {
  let token: TokenWithGrant;
  try {
    token = await authenticateBearer(gw.core, accessToken);
  } catch (e) {
    if (e instanceof OAuthError)
      throw new GatewayError(
        GATEWAY_CODES.invalidSession,
        'invalid-sessionkey',
        `${e.description}; authorize again or refresh it`,
      );
    throw e;
  }
  if (appKey !== undefined && token.appKey !== appKey) {
    throw new GatewayError(
      GATEWAY_CODES.invalidSession,
      'invalid-sessionkey',
      'the session was not issued to this app_key',
    );
  }
  return token;
}

export interface ExecuteInput {
  fullName: string;
  method: GatewayMethod;
  app: AppRecord;
  token?: TokenWithGrant;
  args: Args;
  requestId: string;
  /** The app's gateway settings when the caller already read them (saves a query). */
  settings?: GatewayAppRecord;
  /** Told the store the call acts on, once known (the call record's store). */
  trace?: { storeId?: number };
}

/**
 * The store a seller call acts on (docs/adr/0135): the `store_id` argument, which must be one of
 * the grant's stores (else refused like any other store's data: code 15, `isv.store-not-exist`);
 * without it, the grant's only store. A grant of several stores needs `store_id` (code 40).
 */
export async function resolveStore(storage: Storage, grant: TokenWithGrant['grant'], args: Args): Promise<number> {
  const stores = storesOf(grant);
  const raw = args.get('store_id');
  if (raw === undefined || raw === '') {
    if (stores.length === 1) return stores[0]!;
    const named = await Promise.all(stores.map((id) => publicStoreIdOf(storage, id)));
    throw new GatewayError(
      GATEWAY_CODES.missingArguments,
      'isv.missing-parameter:store_id',
      `parameter store_id is required: this token covers several stores (${named.join(', ')}); list them with GET /api/v1/stores`,
    );
  }
  // A store from the platform's account system is named by the platform's own id (docs/adr/0125),
  // a built-in one by Shouquan's number: whichever the ISV was shown (store reads are cached).
  const records = await Promise.all(stores.map((id) => storage.sellers.store(id)));
  const hit = records.find((r) => r !== undefined && String(publicStoreId(r)) === raw);
  if (hit) return hit.storeId;
  const external = records.some((r) => r?.externalId);
  if (!external && !/^[1-9]\d{0,14}$/.test(raw))
    throw invalidArgument('store_id', `must be a store id (a positive whole number), got "${raw.slice(0, 40)}"`);
  throw new GatewayError(
    GATEWAY_CODES.remoteServiceError,
    'isv.store-not-exist',
    `store ${raw.slice(0, 128)} does not exist or this token was not granted for it`,
  );
}

/**
 * Enforce the grant and run a method: the app's permission packages (code 11), the scopes the
 * seller granted (code 11, sub code `isv.permission-user-scope`), the store (`resolveStore`), the app's quotas (code
 * 7); then answer locally
 * or from the upstream. The store is always one of the grant's: no argument can name another.
 */
export async function executeMethod(gw: Gateway, input: ExecuteInput): Promise<Record<string, unknown>> {
  const { method, app, token, fullName } = input;
  const settings = input.settings ?? (await gw.storage.apps.find(app.appKey));
  if (method.needsSession) {
    if (!token)
      throw new GatewayError(
        GATEWAY_CODES.missingSession,
        'missing-sessionkey',
        `method ${fullName} needs the seller's access token in session`,
      );
    const appPermissions = settings?.permissions ?? ['*'];
    if (!covers(appPermissions, method.permission)) {
      throw new GatewayError(
        GATEWAY_CODES.insufficientPermissions,
        'isv.permission-api-package-empty',
        `app ${app.appKey} has no ${method.permission} permission, which ${fullName} needs`,
      );
    }
    // The token's scope and the grant's as it stands now (a seller may narrow a live grant,
    // docs/adr/0136) must both cover the permission. Refused as code 11 (issue 19's contract).
    const byToken = sellerGranted(scopePermissions(gw.core.profile, token.scope), method.permission);
    if (!byToken || !sellerGranted(scopePermissions(gw.core.profile, token.grant.scope), method.permission)) {
      const granted = byToken ? token.grant.scope : token.scope;
      throw new GatewayError(
        GATEWAY_CODES.insufficientPermissions,
        'isv.permission-user-scope',
        `the seller did not grant ${method.permission} (granted scope: ${granted.join(' ') || 'none'}), which ${fullName} needs`,
      );
    }
  }
  let storeId = 0;
  if (method.needsSession && token && method.storeScoped !== false) {
    storeId = await resolveStore(gw.core.storage, token.grant, input.args);
    if (input.trace) input.trace.storeId = storeId;
  }
  const now = gw.core.now();
  await chargeQuota(gw.quota, gw.options, app.appKey, settings, now);
  const upstream = gw.options.upstreams[fullName];
  if (upstream !== undefined && token) {
    return forwardUpstream(
      upstream,
      {
        method: fullName,
        appKey: app.appKey,
        sellerId: token.grant.sellerId,
        storeId: await publicStoreIdOf(gw.core.storage, storeId || token.grant.storeId),
        scope: token.scope,
        requestId: input.requestId,
      },
      input.args,
      gw.options.upstreamTimeoutMs,
    );
  }
  return method.handle({
    core: gw.core,
    gateway: gw.storage,
    app,
    token,
    storeId,
    sellerId: token?.grant.sellerId ?? 0,
    args: input.args,
    now,
    receiverQuotaPerDay: settings?.receiverQuotaPerDay ?? gw.options.receiverQuotaPerDay,
    limits: gw.core.storage.limits,
    messages: gw.messages,
  });
}

/**
 * Permissions a seller grants only by name (issue 15): buyers' personal data. No wider entry
 * (`*`, `orders`, `read`) covers them, so the `seller` scope of existing apps never does.
 */
export const EXPLICIT_PERMISSIONS: ReadonlySet<string> = new Set(['orders.pii']);

/** Does what the seller granted cover a permission? `EXPLICIT_PERMISSIONS` only when named. */
function sellerGranted(granted: readonly string[], permission: string): boolean {
  return EXPLICIT_PERMISSIONS.has(permission) ? granted.includes(permission) : covers(granted, permission);
}

/** Log one gateway decision with the request id (never a credential or signature). */
export function logDecision(
  log: FastifyBaseLogger,
  face: 'router' | 'rest',
  entry: { method?: string; appKey?: string; storeId?: number; error?: unknown },
): void {
  const base = { gateway: face, method: entry.method, appKey: entry.appKey, storeId: entry.storeId };
  const e = entry.error;
  if (e === undefined) log.info({ ...base, decision: 'allow' }, 'gateway call allowed');
  else if (e instanceof GatewayError)
    log.info({ ...base, decision: 'deny', code: e.code, subCode: e.subCode }, 'gateway call refused');
  else log.error({ ...base, decision: 'error', err: e }, 'gateway call failed');
}
