/**
 * `shouquan operator token create|list|revoke`: operator API tokens for the management API
 * (`/admin/api/v1/`, docs/management-api.md). The token is printed once and stored as SHA-256.
 */
import { createOperatorToken } from '../management/operator-tokens.js';
import { operatorTokenJson } from '../management/views.js';
import {
  DATABASE_HELP,
  databaseFlag,
  parseFlags,
  required,
  table,
  UsageError,
  withStorage,
  type Out,
} from './cli-kit.js';

export const OPERATOR_TOKEN_HELP: Record<string, string> = {
  'operator token create': `Usage: shouquan operator token create --name N [--read-only] [--database URL] [--json]

Make an operator API token for the management API (Authorization: Bearer <token> on
/admin/api/v1/…). It is printed once and stored only as a SHA-256 hash. Every use is audited.
  --name N           what it is for (1 to 64 letters, digits or _ . @ -), unique among live tokens;
                     the audit log names its uses token:<name>
  --read-only        the token may only read (GET); writes answer 403
${DATABASE_HELP}
  --json             print {"token":"…"}`,
  'operator token list': `Usage: shouquan operator token list [--database URL] [--json]

List operator API tokens (never their values), revoked ones too, newest first.
${DATABASE_HELP}
  --json             print {"items":[{"token_id","name","read_only","created_at","created_by","last_used_at","revoked_at"}…]}`,
  'operator token revoke': `Usage: shouquan operator token revoke --id TOKEN_ID [--database URL] [--json]

Revoke an operator API token: it answers 401 from now on. Audited.
  --id TOKEN_ID      the token_id from "operator token list"
${DATABASE_HELP}
  --json             print the token as "operator token list" does`,
};

export const OPERATOR_TOKEN_SUBCOMMANDS = new Set(['create', 'list', 'revoke']);

/** Run `shouquan operator token <sub>`; returns the exit code. */
export async function operatorTokenCommand(sub: string, args: string[], out: Out): Promise<number> {
  const command = `operator token ${sub}`;
  if (sub === 'create') {
    const values = parseFlags(
      args,
      { ...databaseFlag, name: { type: 'string' }, 'read-only': { type: 'boolean' } },
      command,
    );
    if (values.help) return (out.log(OPERATOR_TOKEN_HELP[command]!), 0);
    const name = required(values, 'name');
    return withStorage(values.database, async (storage) => {
      const { token, record } = await createOperatorToken(storage, {
        name,
        readOnly: values['read-only'] === true,
        createdBy: 'cli',
        now: Date.now(),
      });
      if (values.json) out.log(JSON.stringify({ token }));
      else
        out.log(
          `token: ${token}\n(token_id ${record.tokenId}, ${record.readOnly ? 'read-only' : 'read-write'}. It is shown only now: keep it safe.)`,
        );
      return 0;
    });
  }
  if (sub === 'list') {
    const values = parseFlags(args, { ...databaseFlag }, command);
    if (values.help) return (out.log(OPERATOR_TOKEN_HELP[command]!), 0);
    return withStorage(values.database, async (storage) => {
      const items = (await storage.management.listOperatorTokens()).map(operatorTokenJson);
      if (values.json) out.log(JSON.stringify({ items }));
      else
        out.log(
          items.length === 0
            ? 'no operator tokens'
            : table([
                ['TOKEN_ID', 'NAME', 'ACCESS', 'CREATED_AT', 'LAST_USED_AT', 'STATE'],
                ...items.map((t) => [
                  t.token_id,
                  t.name,
                  t.read_only ? 'read-only' : 'read-write',
                  t.created_at,
                  t.last_used_at ?? '-',
                  t.revoked_at ? `revoked ${t.revoked_at}` : 'live',
                ]),
              ]),
        );
      return 0;
    });
  }
  if (sub === 'revoke') {
    const values = parseFlags(args, { ...databaseFlag, id: { type: 'string' } }, command);
    if (values.help) return (out.log(OPERATOR_TOKEN_HELP[command]!), 0);
    const raw = required(values, 'id');
    if (!/^\d{1,15}$/.test(raw)) throw new UsageError(`--id must be a token_id (digits), got "${raw}"`);
    return withStorage(values.database, async (storage) => {
      if (!(await storage.management.revokeOperatorToken(Number(raw), Date.now(), 'cli')))
        throw new Error(`no live operator token with token_id ${raw}`);
      const t = (await storage.management.listOperatorTokens()).find((x) => x.tokenId === Number(raw))!;
      if (values.json) out.log(JSON.stringify(operatorTokenJson(t)));
      else out.log(`operator token ${raw} (${t.name}) revoked`);
      return 0;
    });
  }
  throw new UsageError(`unknown command "operator token ${sub}" (try "shouquan operator token --help")`);
}
