/**
 * The JSON shapes of the management API and of the CLI's `--json` (snake_case at the edge, one
 * place, so both say the same). Ids are strings; times are RFC 3339 UTC strings.
 */
import type { AppView } from '../apps/apps.js';
import type { OperatorTokenRecord, SellerSummary } from '../storage/management-ports.js';
import { storesOf, type AuditRecord, type GrantRecord } from '../storage/ports.js';

const time = (ms: number) => new Date(ms).toISOString();
const timeOrNull = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : time(ms));

export function appJson(a: AppView) {
  return {
    app_key: a.appKey,
    name: a.name,
    status: a.status,
    callbacks: a.callbackUrls,
    scopes: a.scopes,
    permissions: a.permissions,
    quota_per_day: a.quotaPerDay,
    quota_per_second: a.quotaPerSecond,
    receiver_quota_per_day: a.receiverQuotaPerDay,
    webhook_url: a.webhookUrl,
    topics: a.topics,
    description: a.description,
    logo_url: a.logoUrl,
    developer_id: a.developerId === null ? null : String(a.developerId),
    created_at: time(a.createdAt),
    previous_secret_expires_at: timeOrNull(a.previousSecretExpiresAt),
    require_subscription: a.requireSubscription === true,
    purchase_url: a.purchaseUrl ?? null,
  };
}

export function sellerJson(s: SellerSummary) {
  return {
    seller_id: String(s.sellerId),
    username: s.username,
    disabled: s.disabledAt !== null,
    disabled_at: timeOrNull(s.disabledAt),
    created_at: time(s.createdAt),
    stores: s.stores.map((x) => ({ store_id: String(x.storeId), name: x.name })),
  };
}

export function grantJson(g: GrantRecord) {
  return {
    grant_id: g.grantId,
    app_key: g.appKey,
    seller_id: String(g.sellerId),
    store_id: String(g.storeId),
    /** Every store the grant covers (docs/adr/0135); `store_id` is the first. */
    store_ids: storesOf(g).map(String),
    scope: g.scope.join(' '),
    status: g.revokedAt === null ? ('live' as const) : ('revoked' as const),
    created_at: time(g.createdAt),
    revoked_at: timeOrNull(g.revokedAt),
    revoked_reason: g.revokedReason,
  };
}

export function auditJson(e: AuditRecord) {
  return {
    id: String(e.id),
    at: time(e.at),
    action: e.event,
    actor: e.actor,
    app_key: e.appKey,
    seller_id: e.sellerId === null ? null : String(e.sellerId),
    subject: e.subject,
    detail: e.detail,
  };
}

export function operatorTokenJson(t: OperatorTokenRecord) {
  return {
    token_id: String(t.tokenId),
    name: t.name,
    read_only: t.readOnly,
    created_at: time(t.createdAt),
    created_by: t.createdBy,
    last_used_at: timeOrNull(t.lastUsedAt),
    revoked_at: timeOrNull(t.revokedAt),
  };
}
