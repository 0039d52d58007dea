import type { Profile } from '../profiles/profile.js';

/**
 * Does a presented redirect_uri match one of the app's registered callbacks?
 * `exact`: simple string comparison (RFC 9700 §4.1.3, RFC 6749 §3.1.2.3).
 */
export function redirectUriMatches(rule: Profile['redirectRule'], presented: string, registered: string[]): boolean {
  switch (rule) {
    case 'exact':
      return registered.includes(presented);
    default:
      return false;
  }
}
