import { GatewayError } from './errors.js';
import type { GatewayAppRecord, QuotaRepository } from './ports.js';
import type { ResolvedGatewayOptions } from './options.js';
import { gmt8Day, msUntilNextGmt8Midnight } from './sign.js';

/**
 * Count one call against the app's per-second and per-GMT+8-day quotas (counters in the
 * database, so every server process shares them). Over either: TOP code 7 with the seconds
 * until the window resets, for `Retry-After` (RFC 9110 §10.2.3).
 */
export async function chargeQuota(repo: QuotaRepository, options: ResolvedGatewayOptions, appKey: string, settings: GatewayAppRecord | undefined, now: number): Promise<void> {
  const perSecond = settings?.quotaPerSecond ?? options.defaultQuotaPerSecond;
  const perDay = settings?.quotaPerDay ?? options.defaultQuotaPerDay;
  const second = Math.floor(now / 1000);
  const secondCount = await repo.hit(appKey, `s:${second}`, (second + 2) * 1000);
  if (secondCount > perSecond) {
    throw new GatewayError(7, 'App Call Limited', 'accesscontrol.limited-by-app-access-count', `this app may make ${perSecond} calls per second; retry in 1 second`, 1);
  }
  const dayCount = await repo.hit(appKey, `d:${gmt8Day(now)}`, now + msUntilNextGmt8Midnight(now) + 60_000);
  if (dayCount > perDay) {
    const wait = Math.ceil(msUntilNextGmt8Midnight(now) / 1000);
    throw new GatewayError(7, 'App Call Limited', 'accesscontrol.limited-by-app-access-count', `this app may make ${perDay} calls per day (GMT+8); the quota resets in ${wait} seconds`, wait);
  }
  // Per-second rows pile up quickly: drop expired ones now and then.
  if (second % 60 === 0 && secondCount === 1) await repo.prune(now);
}
