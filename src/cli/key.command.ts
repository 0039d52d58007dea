import { parseArgs } from 'node:util';
import { envDatabaseUrl } from '../config.js';
import { rotateServerKey } from '../crypto/server-key.js';
import { openStorage, redactDbUrl } from '../runtime.js';

type Out = { log: (s: string) => void; err: (s: string) => void };

/** `shouquan key rotate --help`. */
export const KEY_ROTATE_HELP = `Usage: shouquan key rotate --new-key-file PATH [--old-key-file PATH] [--database URL] [--json]

Re-seal every AppSecret (current and previous, docs/adr/0030), recompute every secret hash
(docs/adr/0003) and re-seal the refresh grace window's successors (docs/adr/0100) under a new
server key, in one transaction, then record the new key's
fingerprint. Stop every "serve" process first and start them again with the new file: a process
still holding the old key cannot open the re-sealed secrets. Nothing changes if any secret does
not open with the old key. Both flags take the path of a file holding 64 hex characters
(make one with "openssl rand -hex 32"); never the key itself. See docs/operations.md#server-key.
  --old-key-file PATH   the key the secrets are sealed with now; leave it out to move the
                        embedded default's key out of the database (the key row is removed)
  --new-key-file PATH   the key to seal them with from now on (serve --secret-key-file PATH)
  --database URL        sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL; default sqlite:./data/shouquan.db)
  --json                print {"apps","sealed_secrets","refresh_successors","database_key_removed",
                        "previous_fingerprint","fingerprint"}`;

/** A usage problem (exit 2), as opposed to a failure (exit 1). */
class KeyUsageError extends Error {}

/** `shouquan key rotate` (docs/adr/0115). Returns the exit code. */
export async function keyCommand(
  sub: string | undefined,
  args: string[],
  out: Out,
  defaultDatabaseUrl: string,
): Promise<number> {
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out.log(KEY_ROTATE_HELP);
    return sub === undefined ? 2 : 0;
  }
  try {
    if (sub !== 'rotate') throw new KeyUsageError(`unknown command "key ${sub}" (see "shouquan key rotate --help")`);
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          'old-key-file': { type: 'string' },
          'new-key-file': { type: 'string' },
          database: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      throw new KeyUsageError(`${(e as Error).message.split('\n')[0]} (see "shouquan key rotate --help")`);
    }
    if (values.help) return (out.log(KEY_ROTATE_HELP), 0);
    const newKeyFile = values['new-key-file'];
    if (newKeyFile === undefined || newKeyFile === '')
      throw new KeyUsageError(
        '--new-key-file is required (a file with 64 hex characters, e.g. from "openssl rand -hex 32")',
      );
    const url = values.database ?? (envDatabaseUrl() || defaultDatabaseUrl);
    const storage = await openStorage(url);
    try {
      const r = await rotateServerKey(storage, { oldKeyFile: values['old-key-file'], newKeyFile });
      await storage.audit?.append({
        at: Date.now(),
        actor: 'cli',
        event: 'server_key.rotated',
        appKey: null,
        sellerId: null,
        subject: null,
        detail: {
          apps: r.apps,
          sealed_secrets: r.sealedSecrets,
          refresh_successors: r.successors,
          database_key_removed: r.databaseKeyRemoved,
          previous_fingerprint: r.previousFingerprint,
          fingerprint: r.fingerprint,
        },
      });
      if (values.json) {
        out.log(
          JSON.stringify({
            apps: r.apps,
            sealed_secrets: r.sealedSecrets,
            refresh_successors: r.successors,
            database_key_removed: r.databaseKeyRemoved,
            previous_fingerprint: r.previousFingerprint,
            fingerprint: r.fingerprint,
          }),
        );
      } else {
        out.log(
          `re-sealed ${r.sealedSecrets} secrets of ${r.apps} apps and ${r.successors} refresh successors in ${redactDbUrl(url)} under the key ${r.fingerprint} (was ${r.previousFingerprint})` +
            `${r.databaseKeyRemoved ? '; the key stored in the database was removed' : ''}.\n` +
            `Start every server with --secret-key-file ${newKeyFile} (or SHOUQUAN_SECRET_KEY_FILE) and back the file up.`,
        );
      }
      return 0;
    } finally {
      await storage.close();
    }
  } catch (e) {
    out.err(`shouquan: ${(e as Error).message}`);
    return e instanceof KeyUsageError ? 2 : 1;
  }
}
