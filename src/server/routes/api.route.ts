import { publicStoreId } from '../../sellers/store-id.js';
import type { FastifyInstance } from 'fastify';
import { authenticateBearer, bearerToken } from '../../core/bearer.js';
import { InvalidTokenError } from '../../core/errors.js';
import type { HttpContext } from '../http-context.js';
import type { CallTrace } from '../../gateway/call-log.js';
import { GATEWAY_CODES, GatewayError, invalidArgument, restStatus } from '../../gateway/errors.js';
import { resolveStore } from '../../gateway/gateway.js';

/**
 * The protected resource that closes the loop: a store the token was granted for — the one
 * `store_id` names (query), or the grant's only store (docs/adr/0135).
 */
export async function apiRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  app.get('/api/v1/store', { config: { kind: 'api' } }, async (request, reply) => {
    const token = await authenticateBearer(ctx.core, bearerToken(request.headers.authorization));
    // Recorded for the developer console like the gateway's calls, once the token names the app.
    const trace: CallTrace = {
      face: 'rest',
      method: 'GET /api/v1/store',
      appKey: token.appKey,
      appKnown: true,
      storeId: token.grant.storeId,
      sellerId: token.grant.sellerId,
    };
    ctx.calls?.track(request, trace);
    const raw = (request.query as Record<string, unknown> | undefined)?.store_id;
    let storeId: number;
    try {
      if (raw !== undefined && typeof raw !== 'string') throw invalidArgument('store_id', 'must be given once');
      storeId = await resolveStore(
        ctx.core.storage,
        token.grant,
        new Map(typeof raw === 'string' ? [['store_id', raw]] : []),
      );
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e;
      trace.error = e;
      const { status, error } = restStatus(e);
      return reply.code(status).send({ error, error_description: e.subMsg ?? e.msg });
    }
    trace.storeId = storeId;
    const store = await ctx.core.storage.sellers.store(storeId);
    if (!store) {
      trace.error = new GatewayError(
        GATEWAY_CODES.invalidSession,
        'invalid-sessionkey',
        'the store of this token no longer exists',
      );
      throw new InvalidTokenError('the store of this token no longer exists', `store ${storeId} missing`);
    }
    return { store_id: publicStoreId(store), name: store.name };
  });
}
