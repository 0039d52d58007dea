import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { keyedHash } from './tokens.js';
import { seal, unseal } from './seal.js';
import { SUCCESSOR_SEAL_PURPOSE } from '../core/grants/refresh-token.grant.js';
import { openSecret, sealSecret } from '../gateway/secret-seal.js';
import type { KeyedAppSecrets, KeyedSuccessor, KeyedTotpSecret, Storage } from '../storage/ports.js';
import { OPERATOR_TOTP_SEAL_PURPOSE, totpSealContext } from '../console/operator-totp.js';

/**
 * The server key (docs/adr/0115): 32 random bytes that key the AppSecret hashes (docs/adr/0003),
 * seal the AppSecrets the gateway signs with (docs/adr/0030) and key the form CSRF tokens.
 * Kept in a file outside the database (`serve --secret-key-file`, `SHOUQUAN_SECRET_KEY_FILE`);
 * without one, the embedded default keeps it in the `settings` table as before.
 */

/** `settings` row holding the key itself: only the embedded default (no key file). */
export const DATABASE_KEY_SETTING = 'secret_key';
/** `settings` row holding the fingerprint of the key the data is sealed with (never the key). */
export const KEY_CHECK_SETTING = 'secret_key_check';

/** Where the key came from. */
export type ServerKeySource = 'file' | 'database';

export interface LoadedServerKey {
  key: Buffer;
  source: ServerKeySource;
  /** Things the operator should fix, for the logs (e.g. a key file others can read). */
  warnings: string[];
}

/**
 * A one-way fingerprint of a key, stored in the database to recognise the right key at start:
 * HMAC-SHA256(key, "shouquan/server-key/check/v1"), hex. It reveals nothing of the key.
 */
export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('shouquan/server-key/check/v1').digest('hex');
}

/** The short form shown in messages and `key rotate --json`. */
const short = (fingerprint: string) => fingerprint.slice(0, 16);

/**
 * Read a key file: 64 hex characters (32 bytes), surrounding white space ignored. Throws naming
 * the file and what is wrong; a file that group or others may read gives a warning.
 */
export function readSecretKeyFile(path: string, what = 'the server key file'): { key: Buffer; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`cannot read ${what} ${path}: ${err.code ?? err.message}`);
  }
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new Error(`${what} ${path} must hold 64 hex characters (32 random bytes, e.g. from "openssl rand -hex 32")`);
  const warnings: string[] = [];
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0)
    warnings.push(`${what} ${path} can be read by other users: chmod 600 it`);
  return { key: Buffer.from(hex, 'hex'), warnings };
}

const wrongKey = (what: string, path: string, key: Buffer, expected: string | undefined) =>
  new Error(
    `${what} ${path} does not match the key this database's secrets are sealed with (fingerprint ${short(keyFingerprint(key))}, ` +
      `${expected === undefined ? 'which does not open them' : `the database expects ${short(expected)}`}): ` +
      'use the key file this database was set up with, or restore it from your backup (docs/operations.md#server-key)',
  );

/** Does `key` open the database's sealed secrets? True when there is none to try. */
async function opensSample(storage: Storage, key: Buffer): Promise<boolean> {
  const sample = await storage.keys?.sealedSample();
  return sample === undefined || openSecret(key, sample.appKey, sample.sealed) !== undefined;
}

/**
 * The server key for this database. With `keyFile`, the file's key, checked against the
 * fingerprint the database keeps (a wrong key is an error here, at start, never garbage later);
 * without, the embedded default: a key made once and kept in the database, refused when the
 * database's secrets are sealed with a key from a file.
 */
export async function loadServerKey(storage: Storage, keyFile?: string): Promise<LoadedServerKey> {
  const check = await storage.settings.get(KEY_CHECK_SETTING);
  const inDatabase = await storage.settings.get(DATABASE_KEY_SETTING);
  if (keyFile === undefined) {
    if (inDatabase === undefined && check !== undefined) {
      throw new Error(
        "this database's secrets are sealed with a server key kept outside the database: pass --secret-key-file PATH (or SHOUQUAN_SECRET_KEY_FILE) with that key (docs/operations.md#server-key)",
      );
    }
    const hex = await storage.settings.setIfAbsent(DATABASE_KEY_SETTING, randomBytes(32).toString('hex'));
    return { key: Buffer.from(hex, 'hex'), source: 'database', warnings: [] };
  }
  const { key, warnings } = readSecretKeyFile(keyFile);
  const fingerprint = keyFingerprint(key);
  if (check !== undefined) {
    if (check !== fingerprint) throw wrongKey('the server key in', keyFile, key, check);
  } else if (inDatabase !== undefined) {
    if (inDatabase.toLowerCase() !== key.toString('hex')) {
      throw new Error(
        `this database's secrets are sealed with the key stored in the database, not with the key in ${keyFile}: ` +
          `move them to the file's key once with "shouquan key rotate --new-key-file ${keyFile} --database URL" (docs/operations.md#server-key)`,
      );
    }
    warnings.push(
      `the server key is also still stored in the database: "shouquan key rotate --new-key-file NEW" moves the secrets to a new key and removes it`,
    );
  } else {
    // First start with a key file. A database whose fingerprint was lost must still not be
    // opened with a key that does not fit: try one sealed secret before recording this key.
    if (!(await opensSample(storage, key))) throw wrongKey('the server key in', keyFile, key, undefined);
    const stored = await storage.settings.setIfAbsent(KEY_CHECK_SETTING, fingerprint);
    if (stored !== fingerprint) throw wrongKey('the server key in', keyFile, key, stored);
  }
  return { key, source: 'file', warnings };
}

export interface KeyRotation {
  apps: number;
  /** Sealed AppSecrets re-sealed (current and previous ones). */
  sealedSecrets: number;
  /** Sealed refresh successors (docs/adr/0100) re-sealed. */
  successors: number;
  /** Whether the embedded default's in-database key was removed. */
  databaseKeyRemoved: boolean;
  previousFingerprint: string;
  fingerprint: string;
}

/**
 * Re-key everything stored under the server key in one transaction (`shouquan key rotate`):
 * each app's sealed secrets are opened with the old key, re-sealed with the new one, and the
 * keyed hashes recomputed from them; the refresh grace window's sealed successors are re-sealed; the database then
 * records the new key's fingerprint and
 * forgets an in-database key. Without `oldKeyFile` the old key is the one in the database.
 * Anything that does not open with the old key stops the rotation before a row changes.
 */
export async function rotateServerKey(
  storage: Storage,
  opts: { oldKeyFile?: string; newKeyFile: string },
): Promise<KeyRotation> {
  if (!storage.keys) throw new Error('this storage cannot rotate the server key');
  const check = await storage.settings.get(KEY_CHECK_SETTING);
  const inDatabase = await storage.settings.get(DATABASE_KEY_SETTING);
  let oldKey: Buffer;
  if (opts.oldKeyFile !== undefined) {
    oldKey = readSecretKeyFile(opts.oldKeyFile, 'the old key file').key;
    const expected = check ?? (inDatabase === undefined ? undefined : keyFingerprint(Buffer.from(inDatabase, 'hex')));
    if (expected !== undefined && keyFingerprint(oldKey) !== expected)
      throw wrongKey('the old key file', opts.oldKeyFile, oldKey, expected);
    if (expected === undefined && !(await opensSample(storage, oldKey)))
      throw wrongKey('the old key file', opts.oldKeyFile, oldKey, undefined);
  } else {
    if (inDatabase === undefined) {
      throw new Error(
        'this database keeps no server key of its own: name the key its secrets are sealed with in --old-key-file PATH',
      );
    }
    oldKey = Buffer.from(inDatabase, 'hex');
  }
  const newKey = readSecretKeyFile(opts.newKeyFile, 'the new key file').key;
  if (newKey.equals(oldKey))
    throw new Error(
      `the new key file ${opts.newKeyFile} holds the key the secrets are already sealed with: make a new one with "openssl rand -hex 32"`,
    );

  return storage.keys.rekey((apps, successorRows, totpRows) => {
    let sealedSecrets = 0;
    const reopen = (
      appKey: string,
      sealed: string,
      hash: string | null,
      which: string,
    ): { sealed: string; hash: string | null } => {
      const secret = openSecret(oldKey, appKey, sealed);
      if (secret === undefined)
        throw new Error(
          `app ${appKey}: its ${which} sealed secret does not open with the old key; nothing was changed`,
        );
      if (hash !== null && keyedHash(oldKey, secret) !== hash) {
        throw new Error(
          `app ${appKey}: its ${which} secret hash and sealed secret disagree; give it a new secret ("shouquan app rotate-secret --app-key ${appKey} --overlap-hours 0") and rotate again. Nothing was changed`,
        );
      }
      sealedSecrets++;
      return { sealed: sealSecret(newKey, appKey, secret), hash: hash === null ? null : keyedHash(newKey, secret) };
    };
    const unsealed = apps.filter((a) => a.sealedSecret === null).map((a) => a.appKey);
    if (unsealed.length > 0) {
      throw new Error(
        `app ${unsealed.join(', ')} ${unsealed.length === 1 ? 'has' : 'have'} no sealed secret (made before migration 0002_gateway), so ${unsealed.length === 1 ? 'its hash' : 'their hashes'} cannot be moved to the new key: ` +
          'give each a new secret ("shouquan app rotate-secret --app-key KEY --overlap-hours 0") and rotate again. Nothing was changed',
      );
    }
    const rewritten = apps.map((a): KeyedAppSecrets => {
      const current = reopen(a.appKey, a.sealedSecret as string, a.secretHash, 'current');
      // A previous secret without a sealed copy (rotated before 0005_gateway_calls) cannot move: it ends now.
      const previous =
        a.previousSealedSecret !== null && a.previousSecretHash !== null
          ? reopen(a.appKey, a.previousSealedSecret, a.previousSecretHash, 'previous')
          : undefined;
      return {
        appKey: a.appKey,
        secretHash: current.hash as string,
        sealedSecret: current.sealed,
        previousSecretHash: previous?.hash ?? null,
        previousSealedSecret: previous?.sealed ?? null,
      };
    });
    // The refresh grace window's successors (docs/adr/0100): sealed with their own purpose, bound to
    // the rotated token's hash. One that does not open with the old key could never be handed out
    // again: it is cleared (that retry is then reuse, as without a grace window).
    let successors = 0;
    const resealed = successorRows.map((t): KeyedSuccessor => {
      const text = t.sealed === null ? undefined : unseal(oldKey, SUCCESSOR_SEAL_PURPOSE, t.tokenHash, t.sealed);
      if (text === undefined) return { tokenHash: t.tokenHash, sealed: null };
      successors++;
      return { tokenHash: t.tokenHash, sealed: seal(newKey, SUCCESSOR_SEAL_PURPOSE, t.tokenHash, text) };
    });
    // Operators' TOTP secrets (docs/adr/0161): one that does not open stops the rotation (its operator could not sign
    // in).
    const totpSecrets = totpRows.map((t): KeyedTotpSecret => {
      const context = totpSealContext(t.accountId);
      const text = unseal(oldKey, OPERATOR_TOTP_SEAL_PURPOSE, context, t.sealed);
      if (text === undefined)
        throw new Error(`operator ${t.accountId}: its TOTP secret does not open with the old key; nothing was changed`);
      return { accountId: t.accountId, sealed: seal(newKey, OPERATOR_TOTP_SEAL_PURPOSE, context, text) };
    });
    const fingerprint = keyFingerprint(newKey);
    return {
      apps: rewritten,
      successors: resealed,
      totpSecrets,
      setSettings: { [KEY_CHECK_SETTING]: fingerprint },
      deleteSettings: inDatabase === undefined ? [] : [DATABASE_KEY_SETTING],
      result: {
        apps: apps.length,
        sealedSecrets,
        successors,
        databaseKeyRemoved: inDatabase !== undefined,
        previousFingerprint: short(keyFingerprint(oldKey)),
        fingerprint: short(fingerprint),
      },
    };
  });
}
