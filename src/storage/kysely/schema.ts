import type { Generated } from 'kysely';
import type { GatewayTables } from './kysely-gateway-storage.js';

/** Table shapes as stored (snake_case columns, epoch-millisecond integers); the gateway's tables included. */
export interface Database extends GatewayTables {
  apps: {
    app_key: string;
    name: string;
    secret_hash: string;
    callback_urls: string;
    scopes: string;
    status: string;
    created_at: number;
    /** 0004_console: the rest of the apps columns are nullable additions. */
    developer_id?: number | null;
    description?: string | null;
    logo_url?: string | null;
    previous_secret_hash?: string | null;
    previous_secret_expires_at?: number | null;
    /** 0017_subscriptions: 1 when sellers need an active subscription (docs/adr/0140), and where they buy one. */
    require_subscription?: number;
    purchase_url?: string | null;
    /** 0021_admin_review: why an operator returned the app to its developer (docs/adr/0162). */
    review_note?: string | null;
    review_note_at?: number | null;
  };
  /** 0017_subscriptions: sellers' paid subscriptions to apps (docs/adr/0140). */
  subscriptions: {
    subscription_id: string;
    app_key: string;
    seller_id: number;
    plan: string | null;
    created_at: number;
    updated_at: number;
    expires_at: number;
    cancelled_at: number | null;
    expiring_event_for: number | null;
    expired_event_at: number | null;
  };
  sellers: {
    seller_id: Generated<number>;
    username: string;
    password_hash: string;
    created_at: number;
    /** 0015_management_api: set while an operator has disabled the seller. */
    disabled_at?: number | null;
    /** 0014_seller_accounts: builtin | directory | oidc, the platform's seller id, its display name. */
    source?: Generated<string>;
    external_id?: string | null;
    nick?: string | null;
  };
  stores: {
    store_id: Generated<number>;
    seller_id: number;
    name: string;
    created_at: number;
    /** 0014_seller_accounts: the platform's own store id; set when the platform stopped listing it. */
    external_id?: string | null;
    detached_at?: number | null;
  };
  /** 0014_seller_accounts: one-time seller password reset links (SHA-256 of the token). */
  seller_password_resets: {
    token_hash: string;
    seller_id: number;
    created_by: string;
    created_at: number;
    expires_at: number;
    used_at: number | null;
  };
  /** 0014_seller_accounts: operator recovery codes (SHA-256), single use. */
  web_recovery_codes: {
    code_hash: string;
    account_id: number;
    created_at: number;
    used_at: number | null;
  };
  interactions: {
    id: string;
    browser_hash: string;
    request: string;
    created_at: number;
    expires_at: number;
    consumed_at: number | null;
  };
  seller_sessions: {
    id_hash: string;
    seller_id: number;
    created_at: number;
    expires_at: number;
    /** Sessions started at the platform's OpenID Connect IdP (migration 0024): its `sub`, `sid`, sealed ID token. */
    idp_sub: string | null;
    idp_sid: string | null;
    idp_id_token: string | null;
  };
  seller_oidc_logout_jtis: {
    jti_hash: string;
    expires_at: number;
  };
  auth_codes: {
    code_hash: string;
    app_key: string;
    seller_id: number;
    store_id: number;
    redirect_uri: string;
    redirect_uri_sent: number;
    scope: string;
    code_challenge: string | null;
    code_challenge_method: string | null;
    created_at: number;
    expires_at: number;
    consumed_at: number | null;
    grant_id: string | null;
    /** 0016_grant_stores_scopes: every store ticked, space-separated; null: `store_id` alone. */
    store_ids?: string | null;
  };
  grants: {
    grant_id: string;
    app_key: string;
    seller_id: number;
    store_id: number;
    scope: string;
    created_at: number;
    revoked_at: number | null;
    revoked_reason: string | null;
    /**
     * 0016_grant_stores_scopes: the stores the grant covers, space-separated, first = `store_id` (default '':
     * `store_id` alone).
     */
    store_ids?: string;
  };
  tokens: {
    token_hash: string;
    kind: string;
    grant_id: string;
    app_key: string;
    scope: string;
    created_at: number;
    expires_at: number;
    revoked_at: number | null;
    rotated_at: number | null;
    /** 0016_grant_stores_scopes: the stores this token covers, space-separated; null: all of its grant's. */
    store_ids?: string | null;
    /** 0010_refresh_grace: the successor's answer, sealed, kept until `grace_until` (docs/adr/0100). */
    successor?: string | null;
    grace_until?: number | null;
    /** 0019_token_code: the hash of the code whose exchange began this token's chain (docs/adr/0150). */
    code_hash?: string | null;
  };
  settings: {
    key: string;
    value: string;
  };
  /** 0004_console: developer and operator accounts. */
  web_accounts: {
    account_id: Generated<number>;
    realm: string;
    username: string;
    password_hash: string;
    created_at: number;
    /** 0014_seller_accounts: the TOTP secret sealed with the server key, and when enrolment finished. */
    totp_secret?: string | null;
    totp_enabled_at?: number | null;
    totp_last_step?: number | null;
  };
  web_sessions: {
    id_hash: string;
    realm: string;
    account_id: number;
    created_at: number;
    expires_at: number;
  };
  sandbox_sellers: {
    seller_id: number;
    developer_id: number;
  };
  /** 0016_grant_stores_scopes: every decryption of an order's receiver (issue 15, PIPL). */
  receiver_reads: {
    id: Generated<number>;
    app_key: string;
    seller_id: number;
    store_id: number;
    order_id: number;
    at: number;
  };
  /** 0015_management_api: operator API tokens (SHA-256 of the token). */
  operator_tokens: {
    token_id: Generated<number>;
    name: string;
    token_hash: string;
    read_only: number;
    created_at: number;
    created_by: string | null;
    last_used_at: number | null;
    revoked_at: number | null;
  };
  audit_log: {
    id: Generated<number>;
    at: number;
    event: string;
    actor: string | null;
    app_key: string | null;
    seller_id: number | null;
    subject: string | null;
    detail: string | null;
  };
  /** 0012_shared_limits: counters every node shares (docs/adr/0110). */
  shared_limits: {
    name: string;
    count: number;
    taken: number;
    expires_at: number;
  };
}
