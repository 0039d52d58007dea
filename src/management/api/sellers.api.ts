import type { FastifyRequest } from 'fastify';
import { issueSellerPasswordReset, PasswordResetRefused } from '../../sellers/password-reset.js';
import { ManagementError } from '../management-error.js';
import type { HttpContext } from '../../server/http-context.js';
import { createSellerAccount, getSeller, listSellers, parseSellerId, updateSeller } from '../services.js';
import { sellerJson } from '../views.js';
import type { ManagementRoute } from './management-api.js';
import { listOf, listQuery, schemas } from './schemas.js';

const sellerIdOf = (request: FastifyRequest) => parseSellerId((request.params as { seller_id: string }).seller_id);

/** `/sellers`: built-in seller accounts and their stores. */
export function sellerRoutes(ctx: HttpContext): ManagementRoute[] {
  const { core } = ctx;
  const tag = 'Management: sellers' as const;
  return [
    {
      method: 'GET',
      url: '/sellers',
      tag,
      summary: 'List sellers, by search',
      description: '`q` matches part of the username, case-insensitive. In seller_id order.',
      querystring: listQuery({ q: { type: 'string', maxLength: 100 } }),
      success: { 200: listOf('Seller') },
      handler: async (request) => {
        const page = await listSellers(core.storage, request.query as { q?: string; limit?: number; cursor?: string });
        return { items: page.items.map(sellerJson), next_cursor: page.nextCursor };
      },
    },
    {
      method: 'POST',
      url: '/sellers',
      tag,
      summary: 'Create a seller with stores',
      description:
        'The password is stored as an argon2id hash. Without one, the seller signs in only after setting one through a reset link.',
      body: schemas.SellerCreate,
      success: { 201: schemas.Seller },
      handler: async (request, reply, actor) => {
        const b = request.body as { username: string; password?: string; stores: Array<{ name: string }> };
        const seller = await createSellerAccount(core.storage, {
          username: b.username,
          password: b.password,
          stores: b.stores.map((s) => s.name),
          now: core.now(),
        });
        request.log.info({ sellerId: seller.sellerId, actor: actor.name }, 'seller created through the management API');
        return reply.code(201).send(sellerJson(seller));
      },
    },
    {
      method: 'GET',
      url: '/sellers/:seller_id',
      tag,
      summary: 'Show a seller and their stores',
      success: { 200: schemas.Seller },
      handler: async (request) => sellerJson(await getSeller(core.storage, sellerIdOf(request))),
    },
    {
      method: 'PATCH',
      url: '/sellers/:seller_id',
      tag,
      summary: 'Disable or enable a seller; add or rename stores',
      body: schemas.SellerUpdate,
      success: { 200: schemas.Seller },
      handler: async (request, _reply, actor) =>
        sellerJson(
          await updateSeller(
            core.storage,
            sellerIdOf(request),
            request.body as { disabled?: boolean; stores?: Array<{ store_id?: string; name: string }> },
            actor.name,
            core.now(),
          ),
        ),
    },
    {
      method: 'POST',
      url: '/sellers/:seller_id/password-reset',
      tag,
      summary: 'Issue a one-time password reset link for a built-in seller',
      description:
        'The link (256 bits, stored only as its SHA-256) works once and ends the older links; using it signs the seller out everywhere. ' +
        "404 for an unknown seller, 409 for a seller whose password the platform's account system keeps (docs/adr/0126).",
      body: schemas.PasswordResetRequest,
      success: { 201: schemas.PasswordReset },
      handler: async (request, reply, actor) => {
        const body = (request.body ?? {}) as { ttl_hours?: number };
        try {
          const issued = await issueSellerPasswordReset(core.storage, {
            sellerId: sellerIdOf(request),
            baseUrl: core.issuer,
            actor: `api:${actor.token.name}`,
            ttlHours: body.ttl_hours,
            now: core.now(),
          });
          return reply.code(201).send({
            seller_id: String(issued.sellerId),
            username: issued.username,
            reset_url: issued.resetUrl,
            expires_at: new Date(issued.expiresAt).toISOString(),
          });
        } catch (error) {
          if (error instanceof PasswordResetRefused) {
            throw error.code === 'seller_not_found'
              ? new ManagementError(404, 'not_found', error.message)
              : new ManagementError(409, 'conflict', error.message);
          }
          throw error;
        }
      },
    },
  ];
}
