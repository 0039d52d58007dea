import type { Profile } from './profile.js';
import { loadProfileFile } from './profile-file.js';
import { meilishuoProfile } from './meilishuo.profile.js';
import { mogujieProfile } from './mogujie.profile.js';
import { perfeeProfile } from './perfee.profile.js';
import { realsharkProfile } from './realshark.profile.js';
import { smallecProfile } from './smallec.profile.js';
import { standardProfile } from './standard.profile.js';

/** Every profile Shouquan ships, by name. */
export const builtinProfiles: Record<string, Profile> = {
  standard: standardProfile,
  perfee: perfeeProfile,
  meilishuo: meilishuoProfile,
  mogujie: mogujieProfile,
  realshark: realsharkProfile,
  smallec: smallecProfile,
};

/** Does a `--profile` value name a file rather than a shipped profile? */
export function isProfilePath(nameOrPath: string): boolean {
  return nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes('\\');
}

/**
 * Find a shipped profile by name, or load an operator's JSON profile file when given a path
 * (`./my-platform.json`, see docs/profiles.md). Throws naming the known profiles or the bad field.
 */
export function getProfile(nameOrPath: string): Profile {
  if (isProfilePath(nameOrPath)) return loadProfileFile(nameOrPath, builtinProfiles);
  const p = builtinProfiles[nameOrPath];
  if (!p)
    throw new Error(
      `unknown profile "${nameOrPath}" (known: ${Object.keys(builtinProfiles).join(', ')}; or a path to a JSON profile file)`,
    );
  return p;
}
