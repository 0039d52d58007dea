import type { FastifyBaseLogger } from 'fastify';

/**
 * Tell an app's webhook that a seller revoked its authorization. Best effort: one POST
 * with a short timeout, failures only logged; revocation never waits on it.
 */
export function notifyRevoked(log: FastifyBaseLogger, webhookUrl: string | null, event: { appKey: string; sellerId: number; storeId: number; revokedAt: number; reason: string }): void {
  if (!webhookUrl) return;
  const body = JSON.stringify({
    event: 'authorization.revoked',
    app_key: event.appKey,
    seller_id: event.sellerId,
    store_id: event.storeId,
    revoked_at: Math.floor(event.revokedAt / 1000),
    reason: event.reason,
  });
  fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000), redirect: 'manual' })
    .then((res) => log.info({ appKey: event.appKey, status: res.status }, 'revocation webhook delivered'))
    .catch((err: Error) => log.warn({ appKey: event.appKey, err: err.message }, 'revocation webhook failed'));
}
