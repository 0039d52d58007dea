import { hashPassword } from '../crypto/password.js';
import { randomToken, sha256 } from '../crypto/tokens.js';
import type { Storage } from '../storage/ports.js';

/** Where a seller opens a reset link: `/account/reset-password?token=…` (`token` is redacted in logs). */
export const PASSWORD_RESET_PATH = '/account/reset-password';

/** How long a reset link works unless the caller says otherwise (hours). */
export const DEFAULT_PASSWORD_RESET_TTL_HOURS = 24;

/** Longest lifetime a reset link may be given (hours). */
export const MAX_PASSWORD_RESET_TTL_HOURS = 168;

/** Why a reset link cannot be issued; `code` is stable for API answers (404 / 409). */
export class PasswordResetRefused extends Error {
  constructor(
    readonly code: 'seller_not_found' | 'password_kept_by_platform',
    message: string,
  ) {
    super(message);
    this.name = 'PasswordResetRefused';
  }
}

/** A freshly issued reset link: shown to the operator once, stored only as a SHA-256 hash. */
export interface IssuedPasswordReset {
  sellerId: number;
  username: string;
  /** The absolute link to give the seller. */
  resetUrl: string;
  /** Epoch ms after which the link no longer works. */
  expiresAt: number;
}

/**
 * Issue a one-time password reset link for a built-in seller (docs/adr/0126). The token has 256
 * bits from the CSPRNG; only its SHA-256 is stored; it works once, until `expiresAt`, and issuing a
 * new one ends the seller's earlier unused links. Audited (`seller.password_reset_issued`, actor).
 *
 * One function for every operator surface: the CLI (`shouquan seller reset-password`), `/admin`
 * and the management API (`POST /admin/api/v1/sellers/{seller_id}/password-reset`).
 * Throws {@link PasswordResetRefused} for an unknown seller or one whose password the platform keeps.
 */
export async function issueSellerPasswordReset(
  storage: Storage,
  input: {
    sellerId: number;
    /** Public base URL of the server (its issuer), e.g. https://auth.example.com. */
    baseUrl: string;
    /** Who issues it: `cli`, `operator:<name>`, `api:<token name>`. */
    actor: string;
    ttlHours?: number;
    now?: number;
  },
): Promise<IssuedPasswordReset> {
  const ttlHours = input.ttlHours ?? DEFAULT_PASSWORD_RESET_TTL_HOURS;
  if (!(Number.isInteger(ttlHours) && ttlHours >= 1 && ttlHours <= MAX_PASSWORD_RESET_TTL_HOURS)) {
    throw new RangeError(
      `the reset link's lifetime must be a whole number of hours from 1 to ${MAX_PASSWORD_RESET_TTL_HOURS}`,
    );
  }
  const seller =
    Number.isSafeInteger(input.sellerId) && input.sellerId > 0 ? await storage.sellers.find(input.sellerId) : undefined;
  if (!seller) throw new PasswordResetRefused('seller_not_found', `no seller with seller_id ${input.sellerId}`);
  if ((seller.source ?? 'builtin') !== 'builtin') {
    throw new PasswordResetRefused(
      'password_kept_by_platform',
      `seller ${input.sellerId} signs in through the platform's account system (${seller.source}); reset the password there`,
    );
  }
  const now = input.now ?? Date.now();
  const token = randomToken();
  const expiresAt = now + ttlHours * 3_600_000;
  await storage.sellers.createPasswordReset({
    tokenHash: sha256(token),
    sellerId: seller.sellerId,
    createdBy: input.actor,
    createdAt: now,
    expiresAt,
  });
  const base = input.baseUrl.replace(/\/+$/, '');
  return {
    sellerId: seller.sellerId,
    username: seller.username,
    resetUrl: `${base}${PASSWORD_RESET_PATH}?token=${encodeURIComponent(token)}`,
    expiresAt,
  };
}

/** Is this reset token usable now? The seller it resets, if so. */
export async function checkPasswordResetToken(
  storage: Storage,
  token: string,
  now: number,
): Promise<{ sellerId: number; username: string } | undefined> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) return undefined;
  const reset = await storage.sellers.findPasswordReset(sha256(token), now);
  if (!reset) return undefined;
  const seller = await storage.sellers.find(reset.sellerId);
  return seller && { sellerId: seller.sellerId, username: seller.username };
}

/**
 * Set a new password through a reset link: the link is used up atomically (one winner), the
 * password stored as argon2id, every session of the seller ended. `weak` leaves the link usable.
 */
export async function completeSellerPasswordReset(
  storage: Storage,
  token: string,
  newPassword: string,
  now: number,
): Promise<{ status: 'done'; sellerId: number } | { status: 'invalid' } | { status: 'weak' }> {
  if (!(await checkPasswordResetToken(storage, token, now))) return { status: 'invalid' };
  if (newPassword.length < 8) return { status: 'weak' };
  const sellerId = await storage.sellers.completePasswordReset(sha256(token), await hashPassword(newPassword), now);
  return sellerId === undefined ? { status: 'invalid' } : { status: 'done', sellerId };
}
