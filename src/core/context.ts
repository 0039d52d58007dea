import type { Profile } from '../profiles/profile.js';
import type { Storage } from '../storage/ports.js';

/** Lifetimes in seconds. */
export interface Lifetimes {
  code: number;
  access: number;
  refresh: number;
  /** How long a seller has to log in and consent. */
  interaction: number;
  /** Seller login session. */
  session: number;
  /**
   * Refresh grace window G (docs/adr/0100): a rotated refresh token presented again within G
   * seconds, while its successor's refresh token is unused, gets that same successor. 0: none.
   */
  refreshGrace: number;
}

/** Everything the protocol core needs; no HTTP, no SQL. */
export interface CoreContext {
  storage: Storage;
  profile: Profile;
  /** The issuer identifier (RFC 8414 §2), also sent as `iss` (RFC 9207). */
  issuer: string;
  lifetimes: Lifetimes;
  /** Server key for keyed hashes of app secrets and the sealed copies (docs/adr/0115). */
  secretKey: Buffer;
  /** Where the server key came from: a key file, or the embedded default's database row. */
  secretKeySource?: 'file' | 'database';
  /** What the operator should fix about the key (logged at start). */
  secretKeyWarnings?: string[];
  /**
   * Current time in epoch milliseconds: every expiry (codes, interactions, sessions, tokens,
   * subscriptions, quota windows, lockouts) is judged against it.
   */
  now(): number;
  /**
   * Move this process's clock forward by `ms` (the sandbox's `POST /sandbox/clock`, never served
   * without `--sandbox`); returns the new time. Absent on clocks that cannot move.
   */
  advanceClock?(ms: number): number;
}
