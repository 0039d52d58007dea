/**
 * `shouquan seller list|show|update`: built-in seller accounts and their stores, with the
 * management API's JSON (`--json`, docs/management-api.md). `seller create` is in main.ts.
 */
import { getSeller, listSellers, parseSellerId, updateSeller } from '../management/services.js';
import { sellerJson } from '../management/views.js';
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

export const SELLER_HELP: Record<string, string> = {
  'seller list': `Usage: shouquan seller list [--q TEXT] [--limit N] [--cursor C] [--database URL] [--json]

List sellers in seller_id order, a page at a time (GET /admin/api/v1/sellers).
  --q TEXT           part of the username, any case
  --limit N          1 to 200 (default 50)
  --cursor C         the next_cursor of the previous page
${DATABASE_HELP}
  --json             print {"items":[seller…],"next_cursor"} as the API answers`,
  'seller show': `Usage: shouquan seller show --seller-id ID [--database URL] [--json]

Show a seller and their stores (GET /admin/api/v1/sellers/{seller_id}).
  --seller-id ID     the seller
${DATABASE_HELP}
  --json             print the seller as the API answers`,
  'seller update': `Usage: shouquan seller update --seller-id ID [--disable | --enable] [--add-store NAME…] [--rename-store ID=NAME…] [--database URL] [--json]

Change a seller (PATCH /admin/api/v1/sellers/{seller_id}). Audited.
  --seller-id ID         the seller
  --disable              the seller can no longer sign in and is signed out at once (grants stay
                         until revoked: shouquan grant revoke)
  --enable               the seller can sign in again
  --add-store NAME       a new store (repeatable)
  --rename-store ID=NAME rename one of the seller's stores (repeatable); stores are never removed
${DATABASE_HELP}
  --json                 print the seller as the API answers`,
};

export const SELLER_SUBCOMMANDS = new Set(['list', 'show', 'update']);

/** Run `shouquan seller <sub>`; returns the exit code. */
export async function sellerCommand(sub: string, args: string[], out: Out): Promise<number> {
  const command = `seller ${sub}`;
  if (sub === 'list') {
    const values = parseFlags(
      args,
      { ...databaseFlag, q: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
      command,
    );
    if (values.help) return (out.log(SELLER_HELP[command]!), 0);
    return withStorage(values.database, async (storage) => {
      const page = await listSellers(storage, {
        q: optional(values, 'q'),
        limit: optional(values, 'limit'),
        cursor: optional(values, 'cursor'),
      });
      if (values.json) out.log(JSON.stringify({ items: page.items.map(sellerJson), next_cursor: page.nextCursor }));
      else {
        const rows = page.items.map((x) => [
          String(x.sellerId),
          x.username,
          x.disabledAt === null ? 'active' : 'disabled',
          x.stores.map((st) => `${st.storeId} ${st.name}`).join(', '),
        ]);
        out.log(rows.length === 0 ? 'no sellers' : table([['SELLER_ID', 'USERNAME', 'STATE', 'STORES'], ...rows]));
        if (page.nextCursor) out.log(`more: --cursor ${page.nextCursor}`);
      }
      return 0;
    });
  }
  const values =
    sub === 'show'
      ? parseFlags(args, { ...databaseFlag, 'seller-id': { type: 'string' } }, command)
      : sub === 'update'
        ? parseFlags(
            args,
            {
              ...databaseFlag,
              'seller-id': { type: 'string' },
              disable: { type: 'boolean' },
              enable: { type: 'boolean' },
              'add-store': { type: 'string', multiple: true },
              'rename-store': { type: 'string', multiple: true },
            },
            command,
          )
        : undefined;
  if (!values) throw new UsageError(`unknown command "seller ${sub}" (try "shouquan seller --help")`);
  if (values.help) return (out.log(SELLER_HELP[command]!), 0);
  const rawId = required(values, 'seller-id');
  if (!/^\d+$/.test(rawId)) throw new UsageError(`--seller-id must be a seller id (digits), got "${rawId}"`);
  const sellerId = parseSellerId(rawId);
  if (sub === 'update' && values.disable && values.enable) throw new UsageError('give --disable or --enable, not both');
  const renames = ((values['rename-store'] as string[] | undefined) ?? []).map((r) => {
    const m = /^(\d+)=(.+)$/.exec(r);
    if (!m) throw new UsageError(`--rename-store takes STORE_ID=NEW NAME, got "${r}"`);
    return { storeId: m[1]!, name: m[2]! };
  });
  const adds = (values['add-store'] as string[] | undefined) ?? [];
  if (sub === 'update' && !values.disable && !values.enable && adds.length === 0 && renames.length === 0)
    throw new UsageError('nothing to change: give --disable, --enable, --add-store or --rename-store');
  return withStorage(values.database, async (storage) => {
    let seller = await getSeller(storage, sellerId);
    if (sub === 'update') {
      const stores =
        adds.length + renames.length === 0
          ? undefined
          : [
              ...seller.stores.map((st) => ({
                store_id: String(st.storeId),
                name: renames.find((r) => r.storeId === String(st.storeId))?.name ?? st.name,
              })),
              ...adds.map((name) => ({ name })),
            ];
      const unknown = renames.find((r) => !seller.stores.some((st) => String(st.storeId) === r.storeId));
      if (unknown) throw new UsageError(`store ${unknown.storeId} is not one of this seller's stores`);
      seller = await updateSeller(
        storage,
        sellerId,
        {
          ...(values.disable ? { disabled: true } : values.enable ? { disabled: false } : {}),
          ...(stores ? { stores } : {}),
        },
        'cli',
        Date.now(),
      );
    }
    const view = sellerJson(seller);
    if (values.json) out.log(JSON.stringify(view));
    else
      out.log(
        `seller_id: ${view.seller_id}\nusername:  ${view.username}\nstate:     ${view.disabled ? `disabled since ${view.disabled_at}` : 'active'}\n${view.stores.map((st) => `store_id:  ${st.store_id}  ${st.name}`).join('\n')}`,
      );
    return 0;
  });
}
