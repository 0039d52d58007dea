import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_URL, envDatabaseUrl } from '../config.js';
import { openStorage } from '../runtime.js';
import {
  DEFAULT_PASSWORD_RESET_TTL_HOURS,
  issueSellerPasswordReset,
  MAX_PASSWORD_RESET_TTL_HOURS,
  PasswordResetRefused,
} from '../sellers/password-reset.js';

type Out = { log: (s: string) => void; err: (s: string) => void };

/** Help for `shouquan seller reset-password`. */
export const SELLER_RESET_PASSWORD_HELP = `Usage: shouquan seller reset-password --seller-id S [--issuer URL] [--ttl-hours ${DEFAULT_PASSWORD_RESET_TTL_HOURS}] [--database URL] [--json]

Issue a one-time password reset link for a built-in seller account and print it once. Give it to
the seller over a channel you trust; it works once, for --ttl-hours, and issuing another one ends
it. Opening it, the seller sets a new password and every session of theirs ends. Only a SHA-256
hash of the link's token is stored; the issue is written to the audit log. Sellers who sign in
through the platform's own account system (--seller-directory) reset their password there.
  --seller-id S      the seller (seller_id, as "seller create" printed it)
  --issuer URL       the server's public base URL, the start of the link (env SHOUQUAN_ISSUER;
                     default http://127.0.0.1:7070, serve's default)
  --ttl-hours N      how long the link works, 1 to ${MAX_PASSWORD_RESET_TTL_HOURS} (default ${DEFAULT_PASSWORD_RESET_TTL_HOURS})
  --database URL     sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL; default ${DEFAULT_DATABASE_URL})
  --json             print {"seller_id","username","reset_url","expires_at"}`;

/** `shouquan seller reset-password`. Returns the exit code (2: usage, 1: no such seller or not a built-in one). */
export async function sellerResetPasswordCommand(args: string[], out: Out): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'seller-id': { type: 'string' },
        issuer: { type: 'string' },
        'ttl-hours': { type: 'string' },
        database: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    out.err(`shouquan: ${(e as Error).message.split('\n')[0]} (see "shouquan seller reset-password --help")`);
    return 2;
  }
  if (values.help) return (out.log(SELLER_RESET_PASSWORD_HELP), 0);
  const usage = (message: string) => (out.err(`shouquan: ${message}`), 2);
  const rawId = values['seller-id'];
  if (rawId === undefined) return usage('--seller-id is required');
  if (!/^\d{1,15}$/.test(rawId) || Number(rawId) < 1)
    return usage(`--seller-id must be a seller_id (a whole number), got "${rawId}"`);
  const rawTtl = values['ttl-hours'] ?? String(DEFAULT_PASSWORD_RESET_TTL_HOURS);
  const ttlHours = /^\d{1,3}$/.test(rawTtl) ? Number(rawTtl) : NaN;
  if (!(ttlHours >= 1 && ttlHours <= MAX_PASSWORD_RESET_TTL_HOURS))
    return usage(`--ttl-hours must be a whole number from 1 to ${MAX_PASSWORD_RESET_TTL_HOURS}, got "${rawTtl}"`);
  const issuer = values.issuer ?? (process.env.SHOUQUAN_ISSUER || 'http://127.0.0.1:7070');
  let base: URL;
  try {
    base = new URL(issuer);
  } catch {
    return usage(`--issuer must be an absolute URL, got "${issuer}"`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') return usage('--issuer must be an http or https URL');
  const storage = await openStorage(values.database ?? (envDatabaseUrl() || DEFAULT_DATABASE_URL));
  try {
    const issued = await issueSellerPasswordReset(storage, {
      sellerId: Number(rawId),
      baseUrl: issuer,
      actor: 'cli',
      ttlHours,
    });
    const expiresAt = new Date(issued.expiresAt).toISOString();
    if (values.json)
      out.log(
        JSON.stringify({
          seller_id: issued.sellerId,
          username: issued.username,
          reset_url: issued.resetUrl,
          expires_at: expiresAt,
        }),
      );
    else
      out.log(
        `reset_url:  ${issued.resetUrl}\nexpires_at: ${expiresAt}\n(Give it to seller ${issued.username} over a channel you trust; it is shown only now and works once.)`,
      );
    return 0;
  } catch (e) {
    if (e instanceof PasswordResetRefused) {
      out.err(`shouquan: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await storage.close();
  }
}
