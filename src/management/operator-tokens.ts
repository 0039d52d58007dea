/**
 * Operator API tokens for the management API (`/admin/api/v1/`, docs/adr/0131): shown once, stored
 * as SHA-256 (like access tokens: they are long random values, so a fast hash is enough), revoked,
 * never deleted. Read-only tokens may only read. Every use is audited.
 */
import { randomToken, sha256 } from '../crypto/tokens.js';
import type { OperatorTokenRecord } from '../storage/management-ports.js';
import type { Storage } from '../storage/ports.js';
import { ManagementError } from './management-error.js';

/** Tokens start with this, so a leaked one is recognisable (secret scanners, logs). */
export const OPERATOR_TOKEN_PREFIX = 'sqo_';

/** The audit actor of a token: `token:<name>`. */
export const tokenActor = (t: { name: string }) => `token:${t.name}`;

/** Make a token; the value is returned once. Names are 1 to 64 letters, digits or _ . @ -, unique among live tokens. */
export async function createOperatorToken(
  storage: Storage,
  input: { name: string; readOnly: boolean; createdBy: string | null; now: number },
): Promise<{ token: string; record: OperatorTokenRecord }> {
  const name = input.name.trim();
  if (!/^[\p{L}\p{N}_.@-]{1,64}$/u.test(name))
    throw new ManagementError(400, 'invalid_request', 'name must be 1 to 64 letters, digits or _ . @ -');
  const live = await storage.management.listOperatorTokens();
  if (live.some((t) => t.revokedAt === null && t.name === name))
    throw new ManagementError(
      409,
      'conflict',
      `a live token named "${name}" exists already; revoke it or choose another name`,
    );
  const token = `${OPERATOR_TOKEN_PREFIX}${randomToken('base64url')}`;
  const record = await storage.management.createOperatorToken({
    name,
    tokenHash: sha256(token),
    readOnly: input.readOnly,
    createdAt: input.now,
    createdBy: input.createdBy,
  });
  return { token, record };
}

/** The live token presented, if any. */
export async function findOperatorToken(storage: Storage, presented: string): Promise<OperatorTokenRecord | undefined> {
  if (!presented.startsWith(OPERATOR_TOKEN_PREFIX)) return undefined;
  return storage.management.findOperatorToken(sha256(presented));
}
