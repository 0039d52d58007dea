import { randomToken } from '../crypto/tokens.js';
import { hashAppSecret } from '../core/client-auth.js';
import { sealSecret } from '../gateway/secret-seal.js';
import type { AppDetails } from '../storage/console-ports.js';
import type { Storage } from '../storage/ports.js';

/**
 * Save what the developer console edits about an app. The webhook URL belongs to the gateway
 * (`gateway_apps`, docs/adr/0031: its dispatcher signs and delivers authorization changes,
 * including a seller's revocation in the seller center); the rest to the console's columns.
 */
export async function saveAppDetails(
  storage: Storage,
  appKey: string,
  details: { developerId: number | null; description: string | null; logoUrl: string | null; webhookUrl: string | null },
  now: number,
): Promise<void> {
  await storage.console.setAppDetails(appKey, { developerId: details.developerId, description: details.description, logoUrl: details.logoUrl });
  if (details.webhookUrl) await storage.gateway?.apps.upsert(appKey, { webhookUrl: details.webhookUrl, webhookSince: now });
}

/** The console's view of an app, with the webhook URL from the gateway settings. */
export async function loadAppDetails(storage: Storage, appKey: string): Promise<AppDetails | undefined> {
  const details = await storage.console.appDetails(appKey);
  if (!details) return undefined;
  const gateway = await storage.gateway?.apps.find(appKey);
  return { ...details, webhookUrl: gateway?.webhookUrl ?? null };
}

/** Drop an app from the in-process app cache (docs/adr/0051) after the console changed it. */
export function invalidateApp(storage: Storage, appKey: string): void {
  (storage.apps as { invalidate?: (appKey?: string) => void }).invalidate?.(appKey);
  (storage.gateway?.apps as { invalidate?: (appKey?: string) => void } | undefined)?.invalidate?.(appKey);
}

/**
 * Rotate an app's secret (docs/adr/0060): a new secret now; the old one keeps working for
 * `overlapHours` (0: it stops at once). Returns the new secret, shown once to whoever asked.
 * Used by the developer console and by `shouquan app rotate-secret`.
 */
export async function rotateAppSecret(storage: Storage, secretKey: Buffer, appKey: string, overlapHours: number, now: number): Promise<string> {
  const current = await storage.apps.find(appKey);
  if (!current) throw new Error(`no app with app_key ${appKey}`);
  const secret = randomToken('hex32');
  // One transaction: the hash the token endpoint checks and, when the gateway is there, the sealed
  // copy signed calls are verified with (the previous one kept for the same window).
  await storage.console.rotateSecret(appKey, {
    secretHash: hashAppSecret({ secretKey }, secret),
    previousSecretHash: overlapHours > 0 ? current.secretHash : null,
    previousExpiresAt: overlapHours > 0 ? now + overlapHours * 3600_000 : null,
    ...(storage.gateway ? { sealedSecret: sealSecret(secretKey, appKey, secret) } : {}),
  });
  invalidateApp(storage, appKey);
  return secret;
}

/** "Revoke the previous secret now": neither the token endpoint nor signed calls accept it any more. */
export async function endPreviousSecret(storage: Storage, appKey: string): Promise<void> {
  await storage.console.endPreviousSecret(appKey);
  invalidateApp(storage, appKey);
}
