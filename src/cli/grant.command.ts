/** `shouquan grant list|revoke`: sellers' grants, with the management API's JSON (docs/management-api.md). */
import { listGrants, revokeGrant } from '../management/services.js';
import { grantJson } from '../management/views.js';
import {
  DATABASE_HELP,
  databaseFlag,
  optional,
  parseFlags,
  required,
  table,
  UsageError,
  withStorage,
  type Out,
} from './cli-kit.js';

export const GRANT_HELP: Record<string, string> = {
  'grant list': `Usage: shouquan grant list [--app-key KEY] [--seller-id ID] [--status live|revoked] [--limit N] [--cursor C] [--database URL] [--json]

List grants (a seller's authorization of an app for one store), newest first (GET /admin/api/v1/grants).
  --app-key KEY      only this app's
  --seller-id ID     only this seller's
  --status S         live or revoked (default both)
  --limit N          1 to 200 (default 50)
  --cursor C         the next_cursor of the previous page
${DATABASE_HELP}
  --json             print {"items":[grant…],"next_cursor"} as the API answers`,
  'grant revoke': `Usage: shouquan grant revoke --grant-id ID [--database URL] [--json]

Revoke a grant (DELETE /admin/api/v1/grants/{grant_id}): its access and refresh tokens stop
working at once and the app's webhook gets authorization.revoked. Audited.
  --grant-id ID      the grant
${DATABASE_HELP}
  --json             print the grant as the API answers`,
};

export const GRANT_SUBCOMMANDS = new Set(['list', 'revoke']);

/** Run `shouquan grant <sub>`; returns the exit code. */
export async function grantCommand(sub: string, args: string[], out: Out): Promise<number> {
  const command = `grant ${sub}`;
  if (sub === 'list') {
    const values = parseFlags(
      args,
      {
        ...databaseFlag,
        'app-key': { type: 'string' },
        'seller-id': { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
      },
      command,
    );
    if (values.help) return (out.log(GRANT_HELP[command]!), 0);
    return withStorage(values.database, async (storage) => {
      const page = await listGrants(storage, {
        app_key: optional(values, 'app-key'),
        seller_id: optional(values, 'seller-id'),
        status: optional(values, 'status'),
        limit: optional(values, 'limit'),
        cursor: optional(values, 'cursor'),
      });
      const items = page.items.map(grantJson);
      if (values.json) out.log(JSON.stringify({ items, next_cursor: page.nextCursor }));
      else {
        out.log(
          items.length === 0
            ? 'no grants'
            : table([
                ['GRANT_ID', 'APP_KEY', 'SELLER_ID', 'STORE_ID', 'STATUS', 'CREATED_AT'],
                ...items.map((g) => [g.grant_id, g.app_key, g.seller_id, g.store_id, g.status, g.created_at]),
              ]),
        );
        if (page.nextCursor) out.log(`more: --cursor ${page.nextCursor}`);
      }
      return 0;
    });
  }
  if (sub === 'revoke') {
    const values = parseFlags(args, { ...databaseFlag, 'grant-id': { type: 'string' } }, command);
    if (values.help) return (out.log(GRANT_HELP[command]!), 0);
    const grantId = required(values, 'grant-id');
    return withStorage(values.database, async (storage) => {
      const g = grantJson(await revokeGrant(storage, grantId, 'cli', Date.now()));
      if (values.json) out.log(JSON.stringify(g));
      else out.log(`grant ${g.grant_id} revoked at ${g.revoked_at} (${g.revoked_reason}); its tokens no longer work`);
      return 0;
    });
  }
  throw new UsageError(`unknown command "grant ${sub}" (try "shouquan grant --help")`);
}
