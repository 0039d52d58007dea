import { seal, unseal } from '../crypto/seal.js';
import { sha256 } from '../crypto/tokens.js';
import {
  base32Decode,
  matchTotp,
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  otpauthUri,
} from '../crypto/totp.js';
import type { WebAccount } from '../storage/console-ports.js';
import type { Storage } from '../storage/ports.js';

/** The seal purpose of operator TOTP secrets (src/crypto/seal.ts); the context is `operator:<account id>`. */
export const OPERATOR_TOTP_SEAL_PURPOSE = 'operator-totp';
export const totpSealContext = (accountId: number) => `operator:${accountId}`;

/** What an operator is shown once to enrol: the secret, the otpauth:// URI, the recovery codes. */
export interface TotpEnrolment {
  secret: string;
  uri: string;
}

/** The label an authenticator app shows: the platform and the server's host, then the operator. */
export function totpIssuerLabel(platform: string, issuer: string): string {
  if (issuer === '') return platform;
  let host = issuer;
  try {
    host = new URL(issuer).host;
  } catch {
    /* a bare name */
  }
  return `${platform} (${host})`;
}

/** The TOTP secret of an account, opened with the server key; undefined when none or it does not open. */
export function openTotpSecret(serverKey: Buffer, account: WebAccount): Buffer | undefined {
  if (!account.totpSecret) return undefined;
  const text = unseal(serverKey, OPERATOR_TOTP_SEAL_PURPOSE, totpSealContext(account.accountId), account.totpSecret);
  return text === undefined ? undefined : base32Decode(text);
}

/**
 * Start (or restart) TOTP enrolment of an operator: a new secret sealed at rest; `enabled` marks it
 * confirmed at once (`operator create --totp`, where the operator copies it from the terminal).
 */
export async function startTotpEnrolment(
  storage: Storage,
  serverKey: Buffer,
  account: WebAccount,
  label: string,
  enabledAt: number | null,
): Promise<TotpEnrolment> {
  const secret = newTotpSecret();
  await storage.console.setTotp(
    account.accountId,
    seal(serverKey, OPERATOR_TOTP_SEAL_PURPOSE, totpSealContext(account.accountId), secret),
    enabledAt,
  );
  return { secret, uri: otpauthUri(secret, label, account.username) };
}

/** New recovery codes for an account (the old ones stop working); the plain codes, to show once. */
export async function issueRecoveryCodes(storage: Storage, accountId: number, now: number): Promise<string[]> {
  const codes = newRecoveryCodes();
  await storage.console.replaceRecoveryCodes(
    accountId,
    codes.map((c) => sha256(normalizeRecoveryCode(c))),
    now,
  );
  return codes;
}

/**
 * Check an operator's second factor: a TOTP code (±1 step, each step once, the step recorded
 * atomically so two concurrent sign-ins with one code cannot both pass) or else an unused recovery
 * code (used up by this sign-in). Returns how it passed, or undefined.
 */
export async function checkSecondFactor(
  storage: Storage,
  serverKey: Buffer,
  account: WebAccount,
  code: string,
  now: number,
): Promise<'totp' | 'recovery' | undefined> {
  const secret = openTotpSecret(serverKey, account);
  if (!secret) return undefined;
  const step = matchTotp(secret, code, now, account.totpLastStep);
  if (step !== undefined) return (await storage.console.acceptTotpStep(account.accountId, step)) ? 'totp' : undefined;
  const normal = normalizeRecoveryCode(code);
  if (normal.length === 10 && (await storage.console.useRecoveryCode(account.accountId, sha256(normal), now)))
    return 'recovery';
  return undefined;
}

/**
 * Reset an operator's lost authenticator (docs/adr/0177): TOTP and recovery codes cleared and the operator's sessions
 * ended, so the next sign-in (password, then enrolment) sets up a new authenticator. Audited as
 * `console.operator_totp_reset` by `actor` (`cli`, `token:<name>`). Undefined when there is no such operator.
 */
export async function resetOperatorTotp(
  storage: Storage,
  username: string,
  actor: string,
  now: number,
): Promise<{ account: WebAccount; wasEnrolled: boolean } | undefined> {
  const account = await storage.console.findAccount('operator', username);
  if (!account) return undefined;
  await storage.console.resetTotp(account.accountId);
  const wasEnrolled = account.totpEnabledAt !== null && account.totpEnabledAt !== undefined;
  await storage.audit?.append({
    at: now,
    event: 'console.operator_totp_reset',
    actor,
    appKey: null,
    sellerId: null,
    subject: account.username,
    detail: { was_enrolled: wasEnrolled },
  });
  return { account, wasEnrolled };
}
