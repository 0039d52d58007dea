import { readFileSync } from 'node:fs';
import { DEFAULT_METRICS_APP_LIMIT } from './gateway/app-metrics.js';
import { availableParallelism } from 'node:os';
import { getProfile } from './profiles/registry.js';
import {
  MAX_REFRESH_GRACE_SECONDS,
  REDIRECT_RULES,
  refreshGraceOf,
  type Profile,
  type RedirectRule,
} from './profiles/profile.js';
import { parseDatabaseUrl } from './storage/kysely/database.js';
import { DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_REQUEST_TIMEOUT_SECONDS } from './server/connection-limits.js';
import { DEFAULT_EXPIRING_DAYS, MAX_EXPIRING_DAYS } from './subscriptions/subscriptions.js';
import { DEFAULT_SELLER_DIRECTORY_TIMEOUT_MS, type SellerDirectoryOptions } from './sellers/seller-directory.js';
import { SELLER_OIDC_CALLBACK_PATH, type SellerOidcOptions } from './sellers/seller-oidc.js';

/** The embedded default database. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/shouquan.db';

/** The database `serve --sandbox` uses when none is given: never the production default (docs/adr/0120). */
export const DEFAULT_SANDBOX_DATABASE_URL = 'sqlite:./data/sandbox.db';

/** Server configuration after flags, environment and defaults are merged (flags win). */
export interface ServeConfig {
  host: string;
  port: number;
  databaseUrl: string;
  profile: Profile;
  issuer: string;
  sandbox: boolean;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  codeTtl: number;
  logLevel: string;
  /** JSON file with open API gateway settings (docs/gateway.md). */
  gatewayConfig?: string;
  /** Fastify's trustProxy: false, true, a hop count, or proxy addresses/CIDRs. */
  trustProxy: boolean | number | string[];
  /** Seconds between janitor runs in serve; 0 turns the periodic purge off. */
  janitorInterval: number;
  /** Worker processes sharing the port (node:cluster, docs/adr/0090); 1 is a single process. */
  workers: number;
  /** Days the janitor keeps gateway call records (the developer console's recent calls). */
  callRetentionDays: number;
  /** Seconds a client has to send a whole request, headers and body (issue 15, finding 2). */
  requestTimeout: number;
  /** Open connections one client address may hold (per process); 0: no limit. */
  maxConnectionsPerIp: number;
  /** Refresh grace window, seconds (docs/adr/0100): `--refresh-grace`, else the profile's; 0 turns it off. */
  refreshGrace: number;
  /**
   * The platform's HTTP seller directory (docs/adr/0125); the secret comes from SHOUQUAN_SELLER_DIRECTORY_SECRET or a
   * file only.
   */
  sellerDirectory?: SellerDirectoryOptions;
  /**
   * The platform's OpenID Connect IdP for seller login (docs/adr/0160); the secret comes from
   * SHOUQUAN_SELLER_OIDC_CLIENT_SECRET only.
   */
  sellerOidc?: SellerOidcOptions;
  /** `--admin-port`: /admin, /admin/api/* and /metrics only on this listener (docs/operations.md). */
  adminPort?: number;
  /** `--admin-host`: the admin listener's address (default 127.0.0.1). */
  adminHost: string;
  /**
   * Redis URL for the failure counters, lockouts and quotas every node shares; absent: the database (docs/adr/0110).
   */
  redisUrl?: string;
  /** Distinct app_key labels on the per-app API metrics; later apps count as "other" (`--metrics-app-limit`). */
  metricsAppLimit: number;
  /** File holding the server key (docs/adr/0115); undefined: the embedded default's key in the database. */
  secretKeyFile?: string;
  /** Days before a subscription's end that `subscription.expiring` is sent (docs/adr/0140). */
  subscriptionExpiringDays: number;
  /** Message service (issue 16 §2): seconds a pulled message stays hidden before it is handed out again. */
  messageVisibilitySeconds: number;
  /** Message service: days events are kept before the janitor drops them. */
  messageRetentionDays: number;
  /** Message service: `nats://HOST:PORT` keeps the queues in NATS JetStream (docs/adr/0145); absent: the database. */
  messageBroker?: string;
}

/** Serve flags that take no value (on when given; their variables take 1/true/yes/on or 0/false/no/off). */
export const BOOLEAN_SERVE_FLAGS: readonly string[] = ['sandbox', 'standard-token-fields'];

/** The most worker processes `--workers` accepts. */
export const MAX_WORKERS = 64;

/** Every serve setting: flag name, environment variable, meaning. Used by --help and docs. */
export const SERVE_SETTINGS = [
  [
    'config',
    'SHOUQUAN_CONFIG',
    'a JSON or TOML file of these settings, keyed by flag name (port = 7070); flags and variables win over it; no secrets in it, only *-file paths (docs/getting-started-operators.md#a-configuration-file)',
    'none',
  ],
  ['host', 'SHOUQUAN_HOST', 'address to listen on', '127.0.0.1'],
  ['port', 'SHOUQUAN_PORT', 'port to listen on', '7070'],
  [
    'database',
    'SHOUQUAN_DATABASE_URL',
    'sqlite:PATH or postgres://…',
    `${DEFAULT_DATABASE_URL}; with --sandbox ${DEFAULT_SANDBOX_DATABASE_URL}`,
  ],
  [
    'database-url-file',
    'SHOUQUAN_DATABASE_URL_FILE',
    'file holding the database URL (one with a password, e.g. a container secret) instead of --database',
    'none',
  ],
  [
    'profile',
    'SHOUQUAN_PROFILE',
    'platform dialect: a shipped name or ./my-platform.json (docs/profiles.md)',
    'standard',
  ],
  [
    'redirect-rule',
    'SHOUQUAN_REDIRECT_RULE',
    "override the profile's redirect_uri rule: exact, same-host, registrable-domain or host-or-registrable-domain",
    "profile's",
  ],
  ['issuer', 'SHOUQUAN_ISSUER', 'public base URL (RFC 8414 issuer)', 'http://HOST:PORT'],
  ['sandbox', 'SHOUQUAN_SANDBOX', 'create a demo app and seller and print their credentials', 'off'],
  ['access-token-ttl', 'SHOUQUAN_ACCESS_TOKEN_TTL', 'access token lifetime, seconds', "profile's (standard: 7200)"],
  [
    'refresh-token-ttl',
    'SHOUQUAN_REFRESH_TOKEN_TTL',
    'refresh token lifetime, seconds',
    "profile's (standard: 2592000)",
  ],
  ['code-ttl', 'SHOUQUAN_CODE_TTL', 'authorization code lifetime, seconds (at most 600)', "profile's (standard: 600)"],
  ['log-level', 'SHOUQUAN_LOG_LEVEL', 'fatal, error, warn, info, debug, trace or silent', 'info'],
  [
    'gateway-config',
    'SHOUQUAN_GATEWAY_CONFIG',
    'JSON file of API gateway settings (upstreams, quotas, clock skew)',
    'none',
  ],
  [
    'trust-proxy',
    'SHOUQUAN_TRUST_PROXY',
    'trust X-Forwarded-For/-Proto (client IPs for throttling and logs) and X-Request-Id from a proxy in front: true, false, a hop count or a list of proxy addresses',
    'false',
  ],
  ['janitor-interval', 'SHOUQUAN_JANITOR_INTERVAL', 'seconds between purges of expired rows (0: off)', '300'],
  ['workers', 'SHOUQUAN_WORKERS', 'worker processes sharing the port (node:cluster); auto: one per CPU', '1'],
  [
    'secret-key-file',
    'SHOUQUAN_SECRET_KEY_FILE',
    'file holding the server key that seals AppSecrets (64 hex characters, e.g. openssl rand -hex 32), kept out of the database (docs/operations.md#server-key)',
    'a key kept in the database; warned about on PostgreSQL',
  ],
  [
    'standard-token-fields',
    'SHOUQUAN_STANDARD_TOKEN_FIELDS',
    "also write RFC 6749's token_type and expires_in in a legacy profile's token answers where it has none (stock OAuth clients refresh on time)",
    "profile's (off)",
  ],
  [
    'call-retention',
    'SHOUQUAN_CALL_RETENTION',
    'days the janitor keeps gateway call records shown in the developer console, and delivered webhook pushes',
    '7',
  ],
  [
    'request-timeout',
    'SHOUQUAN_REQUEST_TIMEOUT',
    'seconds a client has to send a whole request (headers and body) and an idle connection is kept; slower ones get 408 and are closed',
    '30',
  ],
  [
    'max-connections-per-ip',
    'SHOUQUAN_MAX_CONNECTIONS_PER_IP',
    'open connections one client address may hold on this serve command, divided among --workers (more get 429 and are closed); per node, not shared between hosts; 0: no limit, e.g. behind a reverse proxy that limits them',
    '128',
  ],
  [
    'refresh-grace',
    'SHOUQUAN_REFRESH_GRACE',
    `seconds a rotated refresh token still gets its unused successor again (retries, concurrent refreshes) instead of revoking the grant; 0: off, at most ${MAX_REFRESH_GRACE_SECONDS}`,
    "profile's (60 where refresh tokens rotate)",
  ],
  [
    'metrics-app-limit',
    'SHOUQUAN_METRICS_APP_LIMIT',
    'apps with their own app_key label on the per-app API metrics (per node, over all --workers; later apps count as "other"); 0: all as "other"',
    String(DEFAULT_METRICS_APP_LIMIT),
  ],
  [
    'admin-port',
    'SHOUQUAN_ADMIN_PORT',
    'serve /admin, /admin/api/* and /metrics only on this port (404 on --port); 0 picks a free one',
    'off: on --port',
  ],
  ['admin-host', 'SHOUQUAN_ADMIN_HOST', 'address of the --admin-port listener', '127.0.0.1'],
  [
    'seller-directory',
    'SHOUQUAN_SELLER_DIRECTORY',
    "the platform's HTTP seller directory: sellers sign in against it (secret from env SHOUQUAN_SELLER_DIRECTORY_SECRET or --seller-directory-secret-file, never a flag value)",
    'off: built-in seller accounts',
  ],
  [
    'seller-directory-secret-file',
    'SHOUQUAN_SELLER_DIRECTORY_SECRET_FILE',
    "file holding the seller directory's shared secret, instead of env SHOUQUAN_SELLER_DIRECTORY_SECRET",
    'none',
  ],
  [
    'seller-directory-timeout-ms',
    'SHOUQUAN_SELLER_DIRECTORY_TIMEOUT_MS',
    'ms to wait for the seller directory before sign-in is unavailable (503)',
    String(DEFAULT_SELLER_DIRECTORY_TIMEOUT_MS),
  ],
  [
    'seller-oidc-issuer',
    'SHOUQUAN_SELLER_OIDC_ISSUER',
    `the platform's OpenID Connect IdP: sellers sign in there (code + PKCE), identified by sub, stores from a stores claim; register ISSUER${SELLER_OIDC_CALLBACK_PATH} as the redirect URI`,
    'off: built-in seller accounts',
  ],
  [
    'seller-oidc-client-id',
    'SHOUQUAN_SELLER_OIDC_CLIENT_ID',
    "Shouquan's client id at that IdP (secret from env SHOUQUAN_SELLER_OIDC_CLIENT_SECRET or --seller-oidc-client-secret-file, never a flag value)",
    'none',
  ],
  [
    'seller-oidc-client-secret-file',
    'SHOUQUAN_SELLER_OIDC_CLIENT_SECRET_FILE',
    'file holding the client secret at that IdP, instead of env SHOUQUAN_SELLER_OIDC_CLIENT_SECRET',
    'none',
  ],
  [
    'subscription-expiring-days',
    'SHOUQUAN_SUBSCRIPTION_EXPIRING_DAYS',
    `days before a seller's subscription to an app ends that the app gets subscription.expiring (1 to ${MAX_EXPIRING_DAYS})`,
    String(DEFAULT_EXPIRING_DAYS),
  ],
  [
    'redis',
    'SHOUQUAN_REDIS_URL',
    'redis://[:PASSWORD@]HOST:PORT[/DB] (or rediss://) keeping the failure counters, lockouts and API quotas every node shares',
    'none: the database keeps them',
  ],
  [
    'redis-url-file',
    'SHOUQUAN_REDIS_URL_FILE',
    'file holding the Redis URL (one with a password) instead of --redis',
    'none',
  ],
  [
    'message-visibility-seconds',
    'SHOUQUAN_MESSAGE_VISIBILITY_SECONDS',
    'seconds a pulled message stays hidden from other consumers; not acknowledged by then, it is delivered again (1 to 43200)',
    '60',
  ],
  [
    'message-broker',
    'SHOUQUAN_MESSAGE_BROKER',
    'nats://HOST:PORT[?stream=NAME] keeps the message queues in NATS JetStream (one stream per deployment, default name SHOUQUAN, a subject per app and store; claims in the key-value bucket <stream>_claims)',
    'none: the database keeps them',
  ],
  [
    'message-retention-days',
    'SHOUQUAN_MESSAGE_RETENTION_DAYS',
    'days the message service keeps events; older ones are dropped (unacknowledged ones counted in shouquan_messages_expired_total), 1 to 30',
    '3',
  ],
] as const;

function positiveInt(name: string, raw: string, max?: number): number {
  if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n <= 0) throw new Error(`--${name} must be greater than 0`);
  if (max !== undefined && n > max) throw new Error(`--${name} must be at most ${max}`);
  return n;
}

/**
 * The settings a `--config FILE` gave (src/config-file.ts): each value as the text a flag would
 * carry, and the line it is on (for errors).
 */
export interface SettingsFile {
  path: string;
  values: Readonly<Record<string, string>>;
  lines: Readonly<Record<string, number>>;
}

/** Read a `*-file` setting: the secret is the file's content without the trailing newline. */
export function readSecretFile(
  flag: string,
  path: string,
  read: (p: string) => string = (p) => readFileSync(p, 'utf8'),
): string {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    throw new Error(`--${flag}: cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new Error(`--${flag}: "${path}" is empty`);
  return value;
}

/** SHOUQUAN_DATABASE_URL, else the content of the file SHOUQUAN_DATABASE_URL_FILE names (every command). */
export function envDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SHOUQUAN_DATABASE_URL) return env.SHOUQUAN_DATABASE_URL;
  return env.SHOUQUAN_DATABASE_URL_FILE
    ? readSecretFile('database-url-file', env.SHOUQUAN_DATABASE_URL_FILE)
    : undefined;
}

/**
 * Merge flags over SHOUQUAN_* environment variables over a `--config` file over defaults; throw
 * naming the bad value.
 */
export function resolveServeConfig(
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv = process.env,
  file?: SettingsFile,
): ServeConfig {
  const pick = (flag: string, envName: string): string | undefined => {
    const f = flags[flag];
    if (typeof f === 'string') return f;
    if (f === true) return 'true';
    const e = env[envName];
    return e === undefined || e === '' ? file?.values[flag] : e;
  };
  /** A secret setting given directly or through its `*-file` setting (never both). */
  const directOrFile = (flag: string, envName: string, fileFlag: string, fileEnv: string): string | undefined => {
    const direct = pick(flag, envName);
    const path = pick(fileFlag, fileEnv);
    if (path === undefined) return direct;
    if (direct !== undefined)
      throw new Error(`--${flag} and --${fileFlag} are both given (flag, environment or config file): keep one`);
    return readSecretFile(fileFlag, path);
  };
  /** A secret with no flag: its environment variable or the file its `*-file` setting names (never both). */
  const envOrFileSecret = (envName: string, fileFlag: string, fileEnv: string): string | undefined => {
    const path = pick(fileFlag, fileEnv);
    const direct = env[envName] || undefined;
    if (path === undefined) return direct;
    if (direct !== undefined) throw new Error(`${envName} and --${fileFlag} are both given: keep one`);
    return readSecretFile(fileFlag, path);
  };
  const host = pick('host', 'SHOUQUAN_HOST') ?? '127.0.0.1';
  const port = Number(pick('port', 'SHOUQUAN_PORT') ?? '7070');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a number from 0 to 65535, got "${pick('port', 'SHOUQUAN_PORT')}"`);
  const sandboxRaw = pick('sandbox', 'SHOUQUAN_SANDBOX');
  const sandbox = sandboxRaw !== undefined && !['0', 'false', 'no', 'off'].includes(sandboxRaw.toLowerCase());
  // A sandbox keeps its own file unless a database is named (docs/adr/0120).
  const databaseUrl =
    directOrFile('database', 'SHOUQUAN_DATABASE_URL', 'database-url-file', 'SHOUQUAN_DATABASE_URL_FILE') ??
    (sandbox ? DEFAULT_SANDBOX_DATABASE_URL : DEFAULT_DATABASE_URL);
  parseDatabaseUrl(databaseUrl);
  const shippedOrFile = getProfile(pick('profile', 'SHOUQUAN_PROFILE') ?? 'standard');
  const redirectRule = pick('redirect-rule', 'SHOUQUAN_REDIRECT_RULE');
  if (redirectRule !== undefined && !(REDIRECT_RULES as readonly string[]).includes(redirectRule)) {
    throw new Error(`--redirect-rule must be one of ${REDIRECT_RULES.join(', ')}, got "${redirectRule}"`);
  }
  const withRule: Profile =
    redirectRule === undefined ? shippedOrFile : { ...shippedOrFile, redirectRule: redirectRule as RedirectRule };
  const standardFieldsRaw = pick('standard-token-fields', 'SHOUQUAN_STANDARD_TOKEN_FIELDS');
  const profile: Profile =
    standardFieldsRaw !== undefined && !['0', 'false', 'no', 'off'].includes(standardFieldsRaw.toLowerCase())
      ? { ...withRule, responses: { ...withRule.responses, standardTokenFields: true } }
      : withRule;
  const issuerRaw = pick('issuer', 'SHOUQUAN_ISSUER');
  let issuer: string;
  if (issuerRaw !== undefined) {
    let u: URL;
    try {
      u = new URL(issuerRaw);
    } catch {
      throw new Error(`--issuer must be an absolute URL, got "${issuerRaw}"`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('--issuer must be an http or https URL');
    if (u.search || u.hash) throw new Error('--issuer may not have a query or fragment (RFC 8414 §2)');
    issuer = issuerRaw.replace(/\/$/, '');
  } else {
    const h = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    issuer = `http://${h}:${port}`;
  }
  const ttl = (flag: string, envName: string, fallback: number, max?: number) => {
    const v = pick(flag, envName);
    return v === undefined ? fallback : positiveInt(flag, v, max);
  };
  const config: ServeConfig = {
    host,
    port,
    databaseUrl,
    profile,
    issuer,
    sandbox,
    accessTokenTtl: ttl('access-token-ttl', 'SHOUQUAN_ACCESS_TOKEN_TTL', profile.lifetimes.access),
    refreshTokenTtl: ttl('refresh-token-ttl', 'SHOUQUAN_REFRESH_TOKEN_TTL', profile.lifetimes.refresh),
    codeTtl: ttl('code-ttl', 'SHOUQUAN_CODE_TTL', profile.lifetimes.code, 600),
    logLevel: pick('log-level', 'SHOUQUAN_LOG_LEVEL') ?? 'info',
    gatewayConfig: pick('gateway-config', 'SHOUQUAN_GATEWAY_CONFIG'),
    trustProxy: (() => {
      const v = pick('trust-proxy', 'SHOUQUAN_TRUST_PROXY');
      if (v === undefined || ['false', '0', 'no', 'off'].includes(v.toLowerCase())) return false;
      if (['true', 'yes', 'on'].includes(v.toLowerCase())) return true;
      if (/^\d+$/.test(v)) return Number(v);
      const list = v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      if (list.some((x) => !/^[0-9a-fA-F.:/]+$/.test(x)))
        throw new Error(
          `--trust-proxy must be true, false, a hop count or comma-separated proxy addresses, got "${v}"`,
        );
      return list;
    })(),
    janitorInterval: (() => {
      const v = pick('janitor-interval', 'SHOUQUAN_JANITOR_INTERVAL');
      if (v === undefined) return 300;
      if (!/^\d+$/.test(v)) throw new Error(`--janitor-interval must be a whole number of seconds, got "${v}"`);
      return Number(v);
    })(),
    workers: (() => {
      const v = pick('workers', 'SHOUQUAN_WORKERS');
      if (v === undefined) return 1;
      const n = v === 'auto' ? Math.min(availableParallelism(), MAX_WORKERS) : /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= MAX_WORKERS))
        throw new Error(`--workers must be a whole number from 1 to ${MAX_WORKERS} or auto, got "${v}"`);
      if (n > 1 && parseDatabaseUrl(databaseUrl).dialect === 'sqlite') {
        // docs/adr/0090: SQLite has one writer per file; more processes only wait for each other.
        throw new Error(
          '--workers above 1 needs PostgreSQL: SQLite lets one process write at a time, so more workers add no throughput on it ' +
            '(one process already batches its commits); use --workers 1 with SQLite, or a postgres:// database',
        );
      }
      return n;
    })(),
    callRetentionDays: parseCallRetention(pick('call-retention', 'SHOUQUAN_CALL_RETENTION')),
    requestTimeout: (() => {
      const v = pick('request-timeout', 'SHOUQUAN_REQUEST_TIMEOUT');
      return v === undefined ? DEFAULT_REQUEST_TIMEOUT_SECONDS : positiveInt('request-timeout', v, 3600);
    })(),
    maxConnectionsPerIp: (() => {
      const v = pick('max-connections-per-ip', 'SHOUQUAN_MAX_CONNECTIONS_PER_IP');
      if (v === undefined) return DEFAULT_MAX_CONNECTIONS_PER_IP;
      if (!/^\d{1,6}$/.test(v))
        throw new Error(`--max-connections-per-ip must be a whole number (0: no limit), got "${v}"`);
      return Number(v);
    })(),
    metricsAppLimit: (() => {
      const v = pick('metrics-app-limit', 'SHOUQUAN_METRICS_APP_LIMIT');
      if (v === undefined) return DEFAULT_METRICS_APP_LIMIT;
      if (!/^\d{1,5}$/.test(v) || Number(v) > 10_000)
        throw new Error(`--metrics-app-limit must be a whole number from 0 to 10000, got "${v}"`);
      return Number(v);
    })(),
    refreshGrace: parseRefreshGrace(pick('refresh-grace', 'SHOUQUAN_REFRESH_GRACE'), profile),
    ...parseAdminListener(pick('admin-port', 'SHOUQUAN_ADMIN_PORT'), pick('admin-host', 'SHOUQUAN_ADMIN_HOST'), port),
    sellerDirectory: parseSellerDirectory(
      pick('seller-directory', 'SHOUQUAN_SELLER_DIRECTORY'),
      pick('seller-directory-timeout-ms', 'SHOUQUAN_SELLER_DIRECTORY_TIMEOUT_MS'),
      {
        SHOUQUAN_SELLER_DIRECTORY_SECRET: envOrFileSecret(
          'SHOUQUAN_SELLER_DIRECTORY_SECRET',
          'seller-directory-secret-file',
          'SHOUQUAN_SELLER_DIRECTORY_SECRET_FILE',
        ),
      },
    ),
    sellerOidc: parseSellerOidc(
      pick('seller-oidc-issuer', 'SHOUQUAN_SELLER_OIDC_ISSUER'),
      pick('seller-oidc-client-id', 'SHOUQUAN_SELLER_OIDC_CLIENT_ID'),
      {
        SHOUQUAN_SELLER_OIDC_CLIENT_SECRET: envOrFileSecret(
          'SHOUQUAN_SELLER_OIDC_CLIENT_SECRET',
          'seller-oidc-client-secret-file',
          'SHOUQUAN_SELLER_OIDC_CLIENT_SECRET_FILE',
        ),
      },
    ),
    redisUrl: parseRedisUrl(directOrFile('redis', 'SHOUQUAN_REDIS_URL', 'redis-url-file', 'SHOUQUAN_REDIS_URL_FILE')),
    secretKeyFile: pick('secret-key-file', 'SHOUQUAN_SECRET_KEY_FILE'),
    subscriptionExpiringDays: parseExpiringDays(
      pick('subscription-expiring-days', 'SHOUQUAN_SUBSCRIPTION_EXPIRING_DAYS'),
    ),
    messageVisibilitySeconds: boundedInt(
      'message-visibility-seconds',
      pick('message-visibility-seconds', 'SHOUQUAN_MESSAGE_VISIBILITY_SECONDS'),
      1,
      43_200,
      60,
    ),
    messageBroker: parseMessageBroker(pick('message-broker', 'SHOUQUAN_MESSAGE_BROKER')),
    messageRetentionDays: boundedInt(
      'message-retention-days',
      pick('message-retention-days', 'SHOUQUAN_MESSAGE_RETENTION_DAYS'),
      1,
      30,
      3,
    ),
  };
  if (config.sellerDirectory && config.sellerOidc)
    throw new Error('--seller-directory and --seller-oidc-issuer are two ways for sellers to sign in: choose one');
  return config;
}

/**
 * `--subscription-expiring-days` / `SHOUQUAN_SUBSCRIPTION_EXPIRING_DAYS`: whole days from 1 to 90, default 7
 * (docs/adr/0140).
 */
export function parseExpiringDays(v: string | undefined): number {
  if (v === undefined) return DEFAULT_EXPIRING_DAYS;
  const n = /^\d{1,3}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= MAX_EXPIRING_DAYS))
    throw new Error(
      `--subscription-expiring-days must be a whole number of days from 1 to ${MAX_EXPIRING_DAYS}, got "${v}"`,
    );
  return n;
}

/** A whole number from `min` to `max`, or the default when absent. */
function boundedInt(flag: string, v: string | undefined, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = /^\d{1,6}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new Error(`--${flag} must be a whole number from ${min} to ${max}, got "${v}"`);
  return n;
}

/** `--message-broker` / `SHOUQUAN_MESSAGE_BROKER`: a nats://HOST:PORT URL, or absent (the database keeps the queues). */
export function parseMessageBroker(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(
      `--message-broker must be a nats://HOST:PORT URL, got "${v.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')}"`,
    );
  }
  if (u.protocol !== 'nats:')
    throw new Error(`--message-broker must be a nats://HOST:PORT URL, got a ${u.protocol.replace(/:$/, '')} URL`);
  return v;
}

/** `--admin-port P [--admin-host H]`: a separate listener for the operator surfaces. */
export function parseAdminListener(
  rawPort: string | undefined,
  rawHost: string | undefined,
  publicPort: number,
): { adminPort?: number; adminHost: string } {
  const adminHost = rawHost ?? '127.0.0.1';
  if (rawPort === undefined) {
    if (rawHost !== undefined) throw new Error('--admin-host needs --admin-port');
    return { adminHost };
  }
  const adminPort = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : NaN;
  if (!(adminPort >= 0 && adminPort <= 65535))
    throw new Error(`--admin-port must be a number from 0 to 65535, got "${rawPort}"`);
  if (adminPort !== 0 && adminPort === publicPort)
    throw new Error(`--admin-port must differ from --port (${publicPort})`);
  return { adminPort, adminHost };
}

/**
 * `--seller-directory URL`, `--seller-directory-timeout-ms` and the secret, which only the environment
 * variable SHOUQUAN_SELLER_DIRECTORY_SECRET carries (a flag value would show in `ps`).
 */
export function parseSellerDirectory(
  url: string | undefined,
  timeout: string | undefined,
  env: NodeJS.ProcessEnv,
): SellerDirectoryOptions | undefined {
  if (url === undefined) {
    if (timeout !== undefined) throw new Error('--seller-directory-timeout-ms needs --seller-directory');
    return undefined;
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--seller-directory must be an absolute http or https URL, got "${url}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new Error(`--seller-directory must be an http or https URL, got "${url}"`);
  if (u.username || u.password)
    throw new Error(
      '--seller-directory may not carry credentials in the URL; the requests are signed with SHOUQUAN_SELLER_DIRECTORY_SECRET',
    );
  const secret = env.SHOUQUAN_SELLER_DIRECTORY_SECRET ?? '';
  if (secret === '')
    throw new Error(
      '--seller-directory needs the shared secret in the environment variable SHOUQUAN_SELLER_DIRECTORY_SECRET (or a file named by --seller-directory-secret-file)',
    );
  let timeoutMs = DEFAULT_SELLER_DIRECTORY_TIMEOUT_MS;
  if (timeout !== undefined) {
    timeoutMs = /^\d{1,6}$/.test(timeout) ? Number(timeout) : NaN;
    if (!(timeoutMs >= 1 && timeoutMs <= 60_000))
      throw new Error(`--seller-directory-timeout-ms must be a whole number of ms from 1 to 60000, got "${timeout}"`);
  }
  return { url, secret, timeoutMs };
}

/**
 * `--seller-oidc-issuer URL --seller-oidc-client-id ID` and the client secret, which only the
 * environment variable SHOUQUAN_SELLER_OIDC_CLIENT_SECRET carries. http is allowed only for a
 * loopback issuer (a test IdP on this machine).
 */
export function parseSellerOidc(
  issuer: string | undefined,
  clientId: string | undefined,
  env: NodeJS.ProcessEnv,
): SellerOidcOptions | undefined {
  if (issuer === undefined) {
    if (clientId !== undefined) throw new Error('--seller-oidc-client-id needs --seller-oidc-issuer');
    return undefined;
  }
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    throw new Error(`--seller-oidc-issuer must be an absolute https URL, got "${issuer}"`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    throw new Error(`--seller-oidc-issuer must be an https URL (http only for localhost), got "${issuer}"`);
  if (u.search || u.hash || u.username || u.password)
    throw new Error('--seller-oidc-issuer may not have credentials, a query or a fragment');
  if (clientId === undefined || clientId.trim() === '')
    throw new Error('--seller-oidc-issuer needs --seller-oidc-client-id');
  const clientSecret = env.SHOUQUAN_SELLER_OIDC_CLIENT_SECRET ?? '';
  if (clientSecret === '')
    throw new Error(
      '--seller-oidc-issuer needs the client secret in the environment variable SHOUQUAN_SELLER_OIDC_CLIENT_SECRET',
    );
  return { issuer, clientId, clientSecret };
}

/** `--redis` / `SHOUQUAN_REDIS_URL`: a redis:// or rediss:// URL, or absent (the database keeps the limits). */
export function parseRedisUrl(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(
      `--redis must be a redis:// or rediss:// URL, got "${v.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')}"`,
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`--redis must be a redis:// or rediss:// URL, got a ${u.protocol.replace(/:$/, '')} URL`);
  return v;
}

/** `--call-retention` / `SHOUQUAN_CALL_RETENTION`: whole days from 1 to 366, default 7. */
export function parseCallRetention(v: string | undefined): number {
  if (v === undefined) return 7;
  const n = /^\d{1,3}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 366))
    throw new Error(`--call-retention must be a whole number of days from 1 to 366, got "${v}"`);
  return n;
}

/**
 * `--refresh-grace` / `SHOUQUAN_REFRESH_GRACE`: whole seconds from 0 to 3600; absent: the profile's (docs/adr/0100).
 */
export function parseRefreshGrace(v: string | undefined, profile: Profile): number {
  if (v === undefined) return refreshGraceOf(profile);
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n <= MAX_REFRESH_GRACE_SECONDS))
    throw new Error(
      `--refresh-grace must be a whole number of seconds from 0 to ${MAX_REFRESH_GRACE_SECONDS}, got "${v}"`,
    );
  return n;
}
