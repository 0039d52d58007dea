/** `shouquan audit list`: the audit log, newest first, with the management API's JSON (docs/management-api.md). */
import { listAudit } from '../management/services.js';
import { auditJson } from '../management/views.js';
import {
  DATABASE_HELP,
  databaseFlag,
  optional,
  parseFlags,
  table,
  UsageError,
  withStorage,
  type Out,
} from './cli-kit.js';

export const AUDIT_HELP: Record<string, string> = {
  'audit list': `Usage: shouquan audit list [--action A] [--actor WHO] [--since TIME] [--limit N] [--cursor C] [--database URL] [--json]

Read the audit log, newest first (GET /admin/api/v1/audit).
  --action A         an action (grant.revoked) or a prefix (grant.*)
  --actor WHO        who did it: cli, token:<name>, operator:<username>, seller:<id> …
  --since TIME       entries at or after an RFC 3339 time (2026-12-01T00:00:00Z) or epoch ms
  --limit N          1 to 200 (default 50)
  --cursor C         the next_cursor of the previous page
${DATABASE_HELP}
  --json             print {"items":[entry…],"next_cursor"} as the API answers`,
};

export const AUDIT_SUBCOMMANDS = new Set(['list']);

/** Run `shouquan audit <sub>`; returns the exit code. */
export async function auditCommand(sub: string, args: string[], out: Out): Promise<number> {
  if (sub !== 'list') throw new UsageError(`unknown command "audit ${sub}" (try "shouquan audit --help")`);
  const values = parseFlags(
    args,
    {
      ...databaseFlag,
      action: { type: 'string' },
      actor: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    },
    'audit list',
  );
  if (values.help) return (out.log(AUDIT_HELP['audit list']!), 0);
  return withStorage(values.database, async (storage) => {
    const page = await listAudit(storage, {
      action: optional(values, 'action'),
      actor: optional(values, 'actor'),
      since: optional(values, 'since'),
      limit: optional(values, 'limit'),
      cursor: optional(values, 'cursor'),
    });
    const items = page.items.map(auditJson);
    if (values.json) out.log(JSON.stringify({ items, next_cursor: page.nextCursor }));
    else {
      const what = (e: (typeof items)[number]) =>
        [
          e.app_key && `app ${e.app_key}`,
          e.seller_id && `seller ${e.seller_id}`,
          e.subject && `on ${e.subject}`,
          e.detail && JSON.stringify(e.detail),
        ]
          .filter(Boolean)
          .join(' ');
      out.log(
        items.length === 0
          ? 'no entries'
          : table([['AT', 'ACTION', 'ACTOR', 'WHAT'], ...items.map((e) => [e.at, e.action, e.actor ?? '-', what(e)])]),
      );
      if (page.nextCursor) out.log(`more: --cursor ${page.nextCursor}`);
    }
    return 0;
  });
}
