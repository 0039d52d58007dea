import { parse as parseDomain } from 'tldts';
import type { Profile } from '../profiles/profile.js';

/**
 * Does a presented redirect_uri match one of the app's registered callbacks?
 *
 * - `exact`: simple string comparison (RFC 9700 §4.1.3, RFC 6749 §3.1.2.3). Every rule
 *   accepts an exact match first.
 * - `same-host`, `registrable-domain`, `host-or-registrable-domain`: the legacy platforms'
 *   "same domain" / "same top-level domain" rules. They are looser than RFC 9700, so they only
 *   ever apply to a presented URI in canonical form (see {@link canonicalRedirectUri}); the
 *   authorization code stays bound to the exact string presented (RFC 6749 §4.1.3).
 */
export function redirectUriMatches(rule: Profile['redirectRule'], presented: string, registered: string[]): boolean {
  if (registered.includes(presented)) return true;
  if (rule === 'exact') return false;
  const p = canonicalRedirectUri(presented);
  if (!p.ok) return false;
  return registered.some((r) => domainMatch(rule, p.url, r));
}

/**
 * Is the presented redirect_uri at a registered callback's exact origin and path? The stricter
 * check for tokens sent in a fragment (docs/adr/0116): the fragment survives any redirect the
 * page at redirect_uri makes, so only the ISV's own callback page may receive it. The presented
 * URI must be canonical (see {@link canonicalRedirectUri}); its query may differ.
 */
export function callbackOriginAndPathMatch(presented: string, registered: string[]): boolean {
  if (registered.includes(presented)) return true;
  const p = canonicalRedirectUri(presented);
  if (!p.ok) return false;
  return registered.some((raw) => {
    try {
      const r = new URL(raw);
      return r.origin === p.url.origin && r.pathname === p.url.pathname;
    } catch {
      return false;
    }
  });
}

/** Why a presented redirect_uri can't be domain-matched (for unit tests and logs). */
export type CanonicalCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Is this redirect_uri safe to compare by domain? Refused shapes (docs/profiles.md):
 * anything whose raw value differs from its WHATWG-parsed form (whitespace, upper-case host,
 * missing path, default port, non-ASCII host, `..` segments), non-http(s) schemes, userinfo,
 * backslashes, fragments, IP literals, trailing dots, and `..` or percent-encoded dots in the path.
 */
export function canonicalRedirectUri(raw: string): CanonicalCheck {
  if (raw.includes('\\')) return { ok: false, reason: 'backslash' };
  if (raw.includes('#')) return { ok: false, reason: 'fragment' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not an absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'scheme' };
  if (url.username !== '' || url.password !== '' || authority(raw).includes('@'))
    return { ok: false, reason: 'userinfo' };
  if (url.href !== raw) return { ok: false, reason: 'not canonical' };
  // After the canonical check the host is ASCII (WHATWG writes IDNs as punycode, so a raw
  // non-ASCII host never equals its parsed form).
  if (url.hostname.endsWith('.')) return { ok: false, reason: 'trailing dot' };
  if (url.hostname.startsWith('[') || parseDomain(url.hostname).isIp) return { ok: false, reason: 'IP literal' };
  if (url.pathname.includes('..') || /%2e/i.test(url.pathname)) return { ok: false, reason: 'dot segments in path' };
  return { ok: true, url };
}

/** The authority part of a raw URL string (between `//` and the next `/`, `?` or `#`). */
function authority(raw: string): string {
  const start = raw.indexOf('//');
  if (start === -1) return '';
  const rest = raw.slice(start + 2);
  const end = rest.search(/[/?#]/);
  return end === -1 ? rest : rest.slice(0, end);
}

/** The registrable domain (eTLD+1) from the Public Suffix List, private section included. */
export function registrableDomain(hostname: string): string | null {
  return parseDomain(hostname, { allowPrivateDomains: true }).domain ?? null;
}

/** Is an IDN involved (a non-ASCII or punycode label)? Then only the byte-identical host matches. */
function isInternationalHost(host: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(host) || host.split('.').some((l) => l.toLowerCase().startsWith('xn--'));
}

function domainMatch(rule: Exclude<Profile['redirectRule'], 'exact'>, p: URL, registeredRaw: string): boolean {
  let r: URL;
  try {
    r = new URL(registeredRaw);
  } catch {
    return false;
  }
  if (p.protocol !== r.protocol) return false;
  if (p.port !== r.port) return false;
  const registeredHost = authority(registeredRaw).replace(/^.*@/, '').replace(/:\d*$/, '');
  if (isInternationalHost(registeredHost) || isInternationalHost(p.hostname)) return p.hostname === registeredHost;
  if (r.hostname.endsWith('.') || r.hostname.startsWith('[') || parseDomain(r.hostname).isIp) return false;
  const sameHost = p.hostname === r.hostname;
  if (rule === 'same-host') return sameHost;
  const pd = registrableDomain(p.hostname);
  const sameDomain = pd !== null && pd === registrableDomain(r.hostname);
  if (rule === 'registrable-domain') return sameDomain;
  return sameHost || sameDomain;
}
