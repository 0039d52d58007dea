import type { Profile } from './profile.js';
import { standardProfile } from './standard.profile.js';

/** Every profile Shouquan ships, by name. */
export const builtinProfiles: Record<string, Profile> = {
  standard: standardProfile,
};

/** Find a shipped profile by name; throws naming the known ones. */
export function getProfile(name: string): Profile {
  const p = builtinProfiles[name];
  if (!p) throw new Error(`unknown profile "${name}" (known: ${Object.keys(builtinProfiles).join(', ')})`);
  return p;
}
