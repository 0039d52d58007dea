/** A seller's tokens as the SDK keeps them, whatever the platform called the fields. */
export interface TokenSet {
  accessToken: string;
  /** `bearer` for every profile (RFC 6749 §7.1; compared case-insensitively). */
  tokenType: string;
  refreshToken?: string;
  /** When the access token expires, epoch ms (from `expires_in` / `access_expires_in`). */
  expiresAt?: number;
  /** When the refresh token expires, epoch ms (from `refresh_expires_in` / `re_expires_in` / …). */
  refreshExpiresAt?: number;
  scope?: string;
  /** The authorizing seller, when the platform says (`seller_id` on standard, `psdm_user_id`, `userid`). */
  sellerId?: string;
  /** The authorized store, when the platform says (`store_id` on standard). */
  storeId?: string;
  /** The token response as received (profile field names), for anything else it carried. */
  raw: Record<string, unknown>;
}

/**
 * Where tokens live between requests and processes. Keys are yours (a seller id, a store
 * id, a session id). Implement it over your database or Redis; {@link MemoryTokenStore} is
 * the in-process default.
 *
 * Refresh tokens rotate: the server answers a reused one by revoking the whole grant
 * (RFC 9700 §4.14.2). The SDK makes concurrent callers in one process share a single refresh;
 * when several processes share a store, implement `lock` so only one of them refreshes a key
 * at a time (e.g. `SELECT … FOR UPDATE`, a Redis lock).
 */
export interface TokenStore {
  get(key: string): Promise<TokenSet | undefined>;
  set(key: string, tokens: TokenSet): Promise<void>;
  delete(key: string): Promise<void>;
  /** Optional cross-process mutual exclusion around a key's refresh. */
  lock?<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** Tokens in a Map: for tests, scripts and single-process apps. */
export class MemoryTokenStore implements TokenStore {
  private readonly map = new Map<string, TokenSet>();

  async get(key: string): Promise<TokenSet | undefined> {
    const t = this.map.get(key);
    return t === undefined ? undefined : { ...t, raw: { ...t.raw } };
  }

  async set(key: string, tokens: TokenSet): Promise<void> {
    this.map.set(key, { ...tokens, raw: { ...tokens.raw } });
  }

  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
}
