import type { TokenFormat } from '../crypto/tokens.js';

/**
 * A platform dialect, as data. The protocol core reads these fields and never asks which
 * profile is active. See docs/profiles.md.
 */
export interface Profile {
  /** Identifier used by `--profile`. */
  name: string;
  /** Human name of the platform (shown on pages). */
  title: string;
  /** Page language when the browser states no preference. */
  defaultLang: 'en' | 'zh-CN';
  /** Endpoint paths. */
  paths: {
    authorize: string;
    token: string;
    revoke: string;
    introspect: string;
  };
  /** Parameter spellings accepted; the first is the profile's own. */
  params: {
    clientId: string[];
    clientSecret: string[];
  };
  authorize: {
    /** Parameters that must be present (by their canonical names, e.g. `client_id`, `state`). */
    required: string[];
    /**
     * Parameters required only for one response type, e.g. the legacy docs' "redirect_uri is
     * required for the server-side flow" (`{ code: ['redirect_uri'] }`).
     */
    requiredFor?: Partial<Record<'code' | 'token', string[]>>;
    /** `code` (RFC 6749 §4.1) and/or `token` (implicit, §4.2). */
    responseTypes: Array<'code' | 'token'>;
    /** Scope used when the request has none (RFC 6749 §3.3). */
    defaultScope: string;
    /** Allowed `view` values (presentation hint); empty: the parameter is ignored. */
    views: string[];
    /**
     * Where the client-side flow (`response_type=token`) may send a token in the fragment:
     * `redirect-rule` (default: wherever `redirectRule` lets any redirect go, as the legacy
     * documents require) or `exact-callback` (only a registered callback's exact origin and
     * path). An app's own setting wins (docs/adr/0116).
     */
    fragmentRedirect?: FragmentRedirect;
  };
  token: {
    /** HTTP methods accepted at the token endpoint per grant type. */
    methods: Record<string, Array<'POST' | 'GET'>>;
    /** Grant types served by the token endpoint. */
    grantTypes: string[];
    /**
     * Accept parameters in the query string of a POST (merged with the body; a name in both is
     * refused as repeated). Only for legacy docs that show a POST to a URL with a query.
     */
    queryOnPost?: boolean;
    /** Extra words for `unsupported_grant_type`, per grant, e.g. where this platform refreshes instead. */
    unsupportedGrantHints?: Record<string, string>;
  };
  /** Scopes this platform knows, with plain-words descriptions for the consent page. */
  scopes: Record<string, { en: string; zh: string }>;
  /** Default lifetimes in seconds (overridable by configuration). */
  lifetimes: { code: number; access: number; refresh: number };
  refresh: {
    /** Issue a new refresh token on each use and kill the old one (RFC 9700 §4.14.2). */
    rotate: boolean;
    /**
     * Still hand out a refresh token at code exchange when the token endpoint has no refresh grant (the refresh happens
     * elsewhere, e.g. a signed API method).
     */
    issueWithoutRefreshGrant?: boolean;
    /**
     * Grace window G in seconds for a rotated refresh token (docs/adr/0100): presented again within
     * G seconds of its rotation, while the successor's refresh token is unused, it gets the very same
     * successor instead of revoking the grant. 0: every reuse revokes. Absent: 60 with rotation, else 0.
     * `serve --refresh-grace` overrides it.
     */
    graceSeconds?: number;
  };
  /**
   * What one grant covers and what a later consent does (docs/profiles.md "Stores and later
   * consents"). Absent: `{ stores: 'one', reconsent: 'replace' }`.
   */
  grants?: GrantRules;
  /**
   * The seller chooses the permission packages on the consent page (docs/adr/0136): each
   * requested scope is a `scope` checkbox. Absent: the requested scopes are granted as a whole.
   */
  scopeChoice?: ScopeChoice;
  /** How a presented redirect_uri is matched against the registered callbacks (see core/redirect-uri.ts). */
  redirectRule: RedirectRule;
  /** Require PKCE for every authorization-code request. */
  requirePkce: boolean;
  tokenFormat: TokenFormat;
  /** The `token_type` value this platform writes (RFC 6749 §7.1; case-insensitive for clients). */
  tokenType: string;
  /** Response body shapes, as ordered lists of output fields. */
  responses: {
    /** Token response to an authorization_code grant. */
    code: ResponseField[];
    /** Token response to a refresh_token grant. */
    refresh: ResponseField[];
    /** Fields added to the RFC 6749 §5.2 error body. */
    errorExtras: ResponseField[];
    /**
     * Also write RFC 6749 §5.1's `token_type` and `expires_in` after the profile's own token
     * fields when the profile has no field of that name (`serve --standard-token-fields`), so
     * stock OAuth clients (authlib, requests-oauthlib) see when the access token expires.
     */
    standardTokenFields?: boolean;
  };
  /**
   * The dialect's own status code per RFC error code, the source `error_status` of `errorExtras`
   * (e.g. meilishuo's `statusCode`). Key `*` is the fallback; without a table the RFC code is used.
   */
  errorStatusCodes?: Record<string, string>;
  /**
   * Open API gateway dialect (docs/gateway.md). Absent: method prefix `shouquan`, and every
   * scope of the profile grants every gateway permission.
   */
  gateway?: {
    /** First segment of API method names, e.g. `psdm` for `psdm.auth.token.refresh`. */
    methodPrefix: string;
    /** Gateway permissions (e.g. `orders.read`, `products`, `*`) each scope grants. */
    scopePermissions?: Record<string, string[]>;
  };
}

/** What one grant covers and what a later consent of the same seller for the same app does. */
export interface GrantRules {
  /** `one`: the consent page picks one store; `several`: the seller ticks one or more stores, one grant covers them. */
  stores: 'one' | 'several';
  /**
   * A later consent of the same seller for the same app: `replace` ends the live grant and its
   * tokens (the last authorization wins); `add` adds the stores (and permissions) it names to the
   * live grant, and tokens issued before keep working.
   */
  reconsent: 'replace' | 'add';
}

/** How the consent page lets the seller choose permission packages. */
export interface ScopeChoice {
  /** Packages always granted: shown ticked and disabled, granted even when not requested. */
  alwaysGranted: string[];
  /**
   * Scopes that stand for several packages (standard's `seller`): the page shows their packages;
   * left all ticked, the grant keeps the one name (so its answers do not change).
   */
  bundles?: Record<string, string[]>;
  /** Packages the seller must tick on purpose: shown unticked (e.g. `orders.pii`). */
  optIn?: string[];
}

/** The rules of a profile that states none: one store, the last authorization wins. */
export const DEFAULT_GRANT_RULES: GrantRules = { stores: 'one', reconsent: 'replace' };

/** The profile's grant rules (`DEFAULT_GRANT_RULES` when it states none). */
export function grantRules(profile: Pick<Profile, 'grants'>): GrantRules {
  return profile.grants ?? DEFAULT_GRANT_RULES;
}

/** The default refresh grace window of a rotating profile, seconds (docs/adr/0100). */
export const DEFAULT_REFRESH_GRACE_SECONDS = 60;

/** The longest refresh grace window accepted, seconds (a profile's or `--refresh-grace`). */
export const MAX_REFRESH_GRACE_SECONDS = 3600;

/** A profile's refresh grace window in seconds: its own `refresh.graceSeconds`, else 60 when it rotates, else 0. */
export function refreshGraceOf(profile: Pick<Profile, 'refresh'>): number {
  if (!profile.refresh.rotate) return 0;
  return profile.refresh.graceSeconds ?? DEFAULT_REFRESH_GRACE_SECONDS;
}

/**
 * redirect_uri matching rules, strictest first:
 * - `exact`: simple string comparison (RFC 9700 §4.1.3).
 * - `same-host`: same scheme, host and port as a registered callback.
 * - `registrable-domain`: same scheme and port, and the same registrable domain (Public Suffix List).
 * - `host-or-registrable-domain`: either of the two above.
 * The looser rules apply only to canonical URLs; see core/redirect-uri.ts and docs/profiles.md.
 */
export type RedirectRule = 'exact' | 'same-host' | 'registrable-domain' | 'host-or-registrable-domain';

/** Where tokens in a URL fragment may go (docs/adr/0116). */
export type FragmentRedirect = 'redirect-rule' | 'exact-callback';

/** Every fragment redirect setting, for validation and docs. */
export const FRAGMENT_REDIRECTS: readonly FragmentRedirect[] = ['exact-callback', 'redirect-rule'];

/** Every redirect rule, for validation and docs. */
export const REDIRECT_RULES: readonly RedirectRule[] = [
  'exact',
  'same-host',
  'registrable-domain',
  'host-or-registrable-domain',
];

/** The dialect's status code for an RFC error code (`errorStatusCodes`, then `*`, then the RFC code). */
export function errorStatusFor(profile: Pick<Profile, 'errorStatusCodes'>, code: string): string {
  const table = profile.errorStatusCodes;
  return table?.[code] ?? table?.['*'] ?? code;
}

/** Where a response field's value comes from. */
export type ResponseSource =
  | 'access_token'
  | 'token_type'
  | 'expires_in'
  | 'refresh_token'
  | 'refresh_expires_in'
  | 'scope'
  | 'seller_id'
  | 'store_id'
  | 'error_status';

/** One output field: its name in this dialect and its source (or a constant). */
export type ResponseField =
  | { name: string; from: ResponseSource; type?: 'string' | 'number'; optional?: boolean }
  | { name: string; value: string | number };

/** RFC 6749 §5.1's fields, as `standardTokenFields` adds them. */
const STANDARD_TOKEN_FIELDS: ResponseField[] = [
  { name: 'token_type', from: 'token_type' },
  { name: 'expires_in', from: 'expires_in', type: 'number' },
];

/**
 * The fields of a token response (`code`: the code exchange; `refresh`: a refresh, at the token
 * endpoint or through the gateway): the profile's own, then RFC 6749 §5.1's `token_type` and
 * `expires_in` where the profile has no field of that name and `responses.standardTokenFields` is on.
 */
export function tokenResponseFields(profile: Pick<Profile, 'responses'>, shape: 'code' | 'refresh'): ResponseField[] {
  const own = profile.responses[shape];
  if (!profile.responses.standardTokenFields) return own;
  return [...own, ...STANDARD_TOKEN_FIELDS.filter((f) => !own.some((o) => o.name === f.name))];
}

/** Values a token response may draw from. */
export interface TokenResponseValues {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  refresh_expires_in?: number;
  scope: string;
  seller_id: number;
  /** A string for a store from the platform's account system (docs/adr/0125). */
  store_id: number | string;
}

/** Render a response body from a field list (fields whose source is absent are omitted). */
export function renderFields(
  fields: ResponseField[],
  values: Partial<Record<ResponseSource, string | number | undefined>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if ('value' in f) {
      out[f.name] = f.value;
      continue;
    }
    const v = values[f.from];
    if (v === undefined) continue;
    // A value that is not a number (a platform's own store id) is never turned into NaN.
    out[f.name] =
      f.type === 'string' ? String(v) : f.type === 'number' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  return out;
}
