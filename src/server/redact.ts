/** Parameter names whose values never reach logs (credentials in GET queries, RFC 6749 §10.3, §10.5). */
const SECRET_PARAMS = new Set([
  'code',
  'client_secret',
  'app_secret',
  'refresh_token',
  'access_token',
  'token',
  'session',
  'password',
  'code_verifier',
  'sign',
  'csrf_token',
]);

/** A URL with the values of secret query parameters replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        /* keep raw */
      }
      return SECRET_PARAMS.has(name) && eq !== -1 ? `${rawName}=[REDACTED]` : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}
