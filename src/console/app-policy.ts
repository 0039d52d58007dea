import type { Storage } from '../storage/ports.js';

/**
 * May this seller authorize this app? Live and submitted apps: anyone. Testing apps made in
 * the developer console: only the developer's own sandbox sellers. Testing apps made with
 * the CLI have no developer and stay open (the operator made them; docs/adr/0061).
 * Suspended apps never reach consent (the authorization request is refused first).
 */
export async function sellerMayAuthorize(storage: Storage, appKey: string, sellerId: number): Promise<boolean> {
  const app = await storage.apps.find(appKey);
  if (!app) return false;
  if (app.status !== 'testing') return app.status !== 'suspended';
  const details = await storage.console.appDetails(appKey);
  if (!details || details.developerId === null) return true;
  return (await storage.console.sandboxOwner(sellerId)) === details.developerId;
}

/** The authorize URL a developer copies: the active profile's path and parameter names. */
export function authorizeUrlFor(
  issuer: string,
  profile: {
    paths: { authorize: string };
    params: { clientId: string[] };
    requirePkce: boolean;
    authorize: { required: string[]; views: string[] };
  },
  appKey: string,
  callback: string,
): string {
  const q = new URLSearchParams({
    response_type: 'code',
    [profile.params.clientId[0] ?? 'client_id']: appKey,
    redirect_uri: callback,
    state: 'YOUR_RANDOM_STATE',
  });
  // Anything else the profile requires gets a placeholder (its first allowed value for `view`).
  for (const name of profile.authorize.required) {
    if (name === 'client_id' || q.has(name)) continue;
    q.set(
      name,
      name === 'view' && profile.authorize.views[0] ? profile.authorize.views[0] : `YOUR_${name.toUpperCase()}`,
    );
  }
  if (profile.requirePkce) {
    q.set('code_challenge', 'YOUR_S256_CHALLENGE');
    q.set('code_challenge_method', 'S256');
  }
  return `${issuer}${profile.paths.authorize}?${q}`;
}
