import type { Profile } from '../profiles/profile.js';

/**
 * The seller's choice of permission packages (docs/adr/0136), from the profile's `scopeChoice`:
 * what the consent page offers, what a consent grants, what an app may ask for, and how a grant
 * narrows. Pure functions over the profile's data: no HTTP, no storage.
 */

const unique = (list: string[]) => [...new Set(list)];

/** The packages a scope list stands for (bundles such as `seller` opened up), in order. */
export function expandScope(profile: Pick<Profile, 'scopeChoice'>, scope: readonly string[]): string[] {
  const bundles = profile.scopeChoice?.bundles ?? {};
  return unique(scope.flatMap((s) => bundles[s] ?? [s]));
}

/**
 * Write a package list back with the bundles the request named: when every package of a
 * requested bundle is there, the bundle's name stands for them (so `seller`, left whole, stays
 * `seller`); the rest follow in the order of `packages`.
 */
export function compressScope(
  profile: Pick<Profile, 'scopeChoice'>,
  packages: readonly string[],
  requested: readonly string[],
): string[] {
  const bundles = profile.scopeChoice?.bundles ?? {};
  const out: string[] = [];
  const covered = new Set<string>();
  for (const r of requested) {
    const parts = bundles[r];
    if (parts && parts.every((p) => packages.includes(p))) {
      out.push(r);
      for (const p of parts) covered.add(p);
    }
  }
  for (const p of packages) if (!covered.has(p) && !out.includes(p)) out.push(p);
  return out;
}

/** May an app registered with `appScopes` ask for `scope`? Its own scopes, or a package of a bundle it has. */
export function appMayRequest(
  profile: Pick<Profile, 'scopeChoice'>,
  appScopes: readonly string[],
  scope: string,
): boolean {
  if (appScopes.includes(scope)) return true;
  const bundles = profile.scopeChoice?.bundles ?? {};
  return appScopes.some((a) => bundles[a]?.includes(scope) ?? false);
}

/** One checkbox of the consent page. */
export interface OfferedPackage {
  scope: string;
  /** Ticked when the page opens. */
  checked: boolean;
  /** Always granted: ticked and disabled. */
  fixed: boolean;
}

/**
 * The packages the consent page lists for a request: the always-granted ones first, then the requested ones opened up.
 */
export function offeredPackages(profile: Pick<Profile, 'scopeChoice'>, requested: readonly string[]): OfferedPackage[] {
  const choice = profile.scopeChoice;
  if (!choice) return [];
  const fixed = new Set(choice.alwaysGranted);
  const optIn = new Set(choice.optIn ?? []);
  return unique([...choice.alwaysGranted, ...expandScope(profile, requested)]).map((scope) => ({
    scope,
    fixed: fixed.has(scope),
    checked: fixed.has(scope) || !optIn.has(scope),
  }));
}

/**
 * The scope a consent grants. `ticked` is the form's `scope` values; absent (no `scope` field at
 * all, a client that does not know the checkboxes) means the page's defaults. A value the page
 * did not offer is refused (`undefined`). Always-granted packages are added; a requested bundle
 * left whole keeps its name.
 */
export function chosenScope(
  profile: Pick<Profile, 'scopeChoice'>,
  requested: readonly string[],
  ticked: readonly string[] | undefined,
): string[] | undefined {
  if (!profile.scopeChoice) return [...requested];
  const offered = offeredPackages(profile, requested);
  if (ticked !== undefined && ticked.some((t) => !offered.some((o) => o.scope === t))) return undefined;
  const keep = offered
    .filter((o) => o.fixed || (ticked === undefined ? o.checked : ticked.includes(o.scope)))
    .map((o) => o.scope);
  return compressScope(profile, keep, requested);
}

/**
 * A grant's (or token's) scope narrowed to the packages the seller keeps: what it had, opened up,
 * that is in `keep` or always granted; bundles it had and keeps whole keep their name.
 */
export function narrowScope(
  profile: Pick<Profile, 'scopeChoice'>,
  current: readonly string[],
  keep: readonly string[],
): string[] {
  const always = profile.scopeChoice?.alwaysGranted ?? [];
  const packages = expandScope(profile, current).filter((p) => keep.includes(p) || always.includes(p));
  return compressScope(profile, packages, current);
}
