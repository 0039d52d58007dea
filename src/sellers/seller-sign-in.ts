import { Counter, type Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import type { CoreContext } from '../core/context.js';
import { verifyPassword } from '../crypto/password.js';
import type { SellerRecord } from '../storage/ports.js';
import {
  askSellerDirectory,
  type DirectoryUnavailableReason,
  type SellerDirectoryOptions,
} from './seller-directory.js';

/** The outcome of one seller sign-in, whichever account system decided it. */
export type SellerSignInResult =
  | { kind: 'signed_in'; seller: SellerRecord }
  /** Wrong username or password: counts towards the lockout. */
  | { kind: 'wrong_credentials' }
  /** The platform's account system could not decide: HTTP 503, no lockout failure. */
  | { kind: 'unavailable'; reason: DirectoryUnavailableReason };

/** How sellers sign in on this server: built-in accounts, or the platform's seller directory (docs/adr/0125). */
export interface SellerSignIn {
  readonly mode: 'builtin' | 'directory' | 'oidc';
  /** Check a username and password; `log` gets the line that says why sign-in is unavailable. */
  signIn(username: string, password: string, log: FastifyBaseLogger): Promise<SellerSignInResult>;
  /** Whether this seller's password is Shouquan's to check and change (built-in accounts). */
  ownsPassword(seller: SellerRecord): boolean;
}

/** Seconds a seller is asked to wait before trying again while the directory is unavailable. */
export const DIRECTORY_RETRY_AFTER_SECONDS = 10;

/**
 * The seller sign-in of the authorize pages and the seller center. Without a directory, the
 * built-in accounts (argon2id). With one, every sign-in asks the platform's directory and the
 * seller and stores it answers with are created or updated just in time; built-in sellers that
 * are a developer's sandbox sellers (docs/adr/0061) still sign in with their own password, so
 * apps in `testing` can be tried.
 */
export function createSellerSignIn(
  core: CoreContext,
  registry: Registry,
  directory?: SellerDirectoryOptions,
  oidc = false,
): SellerSignIn {
  const builtin = async (username: string, password: string): Promise<SellerSignInResult> => {
    const found = username ? await core.storage.sellers.findByUsername(username) : undefined;
    // Sellers of the platform's account system have no password here: never signed in by one.
    const seller = found && (found.source ?? 'builtin') === 'builtin' ? found : undefined;
    const ok = await verifyPassword(seller?.passwordHash, password);
    return seller && ok ? { kind: 'signed_in', seller } : { kind: 'wrong_credentials' };
  };
  const ownsPassword = (seller: SellerRecord) => (seller.source ?? 'builtin') === 'builtin';
  if (oidc) {
    // Sellers sign in at the platform's IdP (docs/adr/0160); the password form is only for a
    // developer's built-in sandbox sellers, so apps in `testing` can still be tried.
    return {
      mode: 'oidc',
      ownsPassword,
      async signIn(username, password) {
        const local = username ? await core.storage.sellers.findByUsername(username) : undefined;
        const sandbox =
          local && ownsPassword(local) && (await core.storage.console.sandboxOwner(local.sellerId)) !== undefined;
        return sandbox
          ? builtin(username, password)
          : (await verifyPassword(undefined, password), { kind: 'wrong_credentials' });
      },
    };
  }
  if (!directory) return { mode: 'builtin', signIn: (u, p) => builtin(u, p), ownsPassword };

  const requests = new Counter({
    name: 'shouquan_seller_directory_requests_total',
    help: "Seller sign-ins asked of the platform's seller directory, by outcome: signed_in, wrong_credentials, or why it was unavailable (timeout, connection_error, bad_status, bad_response)",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of ['signed_in', 'wrong_credentials', 'timeout', 'connection_error', 'bad_status', 'bad_response'])
    requests.inc({ outcome }, 0);

  return {
    mode: 'directory',
    ownsPassword,
    async signIn(username, password, log) {
      if (username === '' || password === '') return { kind: 'wrong_credentials' };
      const local = await core.storage.sellers.findByUsername(username);
      if (local && ownsPassword(local) && (await core.storage.console.sandboxOwner(local.sellerId)) !== undefined)
        return builtin(username, password);
      const answer = await askSellerDirectory(directory, username, password, core.now);
      if (answer.kind === 'wrong_credentials') {
        requests.inc({ outcome: 'wrong_credentials' });
        return { kind: 'wrong_credentials' };
      }
      if (answer.kind === 'unavailable') {
        requests.inc({ outcome: answer.reason });
        log.warn(
          { sellerDirectory: { reason: answer.reason, detail: answer.detail } },
          `seller sign-in unavailable: the seller directory failed (${answer.reason}: ${answer.detail})`,
        );
        return { kind: 'unavailable', reason: answer.reason };
      }
      requests.inc({ outcome: 'signed_in' });
      const { seller } = await core.storage.sellers.upsertExternal(answer.seller, core.now());
      return { kind: 'signed_in', seller };
    },
  };
}
