import type { HttpContext } from '../../server/http-context.js';
import { listAudit, listGrants, revokeGrant } from '../services.js';
import { auditJson, grantJson } from '../views.js';
import type { ManagementRoute } from './management-api.js';
import { listOf, listQuery, schemas } from './schemas.js';

/** `/grants`: who authorized which app for which store; revoke one. */
export function grantRoutes(ctx: HttpContext): ManagementRoute[] {
  const { core } = ctx;
  const tag = 'Management: grants' as const;
  return [
    {
      method: 'GET',
      url: '/grants',
      tag,
      summary: 'List grants of an app, a seller or both',
      description: 'Newest first. `status` live or revoked (default both).',
      querystring: listQuery({
        app_key: { type: 'string', maxLength: 64 },
        seller_id: { type: 'string', maxLength: 20 },
        status: { type: 'string', enum: ['live', 'revoked'] },
      }),
      success: { 200: listOf('Grant') },
      handler: async (request) => {
        const page = await listGrants(core.storage, request.query as Record<string, string>);
        return { items: page.items.map(grantJson), next_cursor: page.nextCursor };
      },
    },
    {
      method: 'DELETE',
      url: '/grants/:grant_id',
      tag,
      summary: 'Revoke a grant: its tokens are inactive at once and the app’s webhook is told',
      description:
        'Answers the grant as revoked (`revoked_reason: revoked_by_operator`). Revoking a revoked grant changes nothing.',
      success: { 200: schemas.Grant },
      handler: async (request, _reply, actor) =>
        grantJson(
          await revokeGrant(core.storage, (request.params as { grant_id: string }).grant_id, actor.name, core.now()),
        ),
    },
  ];
}

/** `/audit`: the audit log, newest first. */
export function auditRoutes(ctx: HttpContext): ManagementRoute[] {
  const { core } = ctx;
  return [
    {
      method: 'GET',
      url: '/audit',
      tag: 'Management: audit',
      summary: 'Read the audit log, newest first',
      description:
        '`action`: an exact action (`grant.revoked`) or a prefix (`grant.*`); `actor`: exact (`token:deploy`, `cli`); `since`: an RFC 3339 time or epoch milliseconds.',
      querystring: listQuery({
        action: { type: 'string', maxLength: 100 },
        actor: { type: 'string', maxLength: 200 },
        since: { type: 'string', maxLength: 40 },
      }),
      success: { 200: listOf('AuditEntry') },
      handler: async (request) => {
        const page = await listAudit(core.storage, request.query as Record<string, string>);
        return { items: page.items.map(auditJson), next_cursor: page.nextCursor };
      },
    },
  ];
}
