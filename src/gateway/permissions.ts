import type { Profile } from '../profiles/profile.js';

/** The default API method prefix when the profile sets none. */
export const DEFAULT_METHOD_PREFIX = 'shouquan';

/** The profile's method prefix (`shouquan` unless `profile.gateway.methodPrefix`). */
export function methodPrefix(profile: Profile): string {
  return profile.gateway?.methodPrefix ?? DEFAULT_METHOD_PREFIX;
}

/**
 * Does a list of granted permission entries cover a permission like `orders.read`?
 * Entries: `*` (everything), a package (`orders`: read and write), an access level
 * (`read`: every package's read), or the exact permission.
 */
export function covers(granted: readonly string[], permission: string): boolean {
  const [pkg, level] = permission.split('.');
  return granted.some((g) => g === '*' || g === permission || g === pkg || g === level);
}

/**
 * The permissions a token's scopes grant, from `profile.gateway.scopePermissions`; without
 * that map every scope of the profile grants everything (the standard `seller` scope is
 * "manage the store's products, orders and settings").
 */
export function scopePermissions(profile: Profile, scope: readonly string[]): string[] {
  const map = profile.gateway?.scopePermissions;
  if (!map) return scope.some((s) => s in profile.scopes) ? ['*'] : [];
  return scope.flatMap((s) => map[s] ?? []);
}
