import { FormClient, hiddenInput } from './browserless.js';
import { base32Decode, totp } from '../../src/crypto/totp.js';

/** The CSRF token of the first form on a page. */
export function csrfOf(html: string): string {
  const v = hiddenInput(html, 'csrf_token');
  if (!v) throw new Error(`no csrf_token on the page:\n${html.slice(0, 400)}`);
  return v;
}

/** GET a page and return its status and HTML. */
export async function page(
  client: FormClient,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; html: string; location: string | null }> {
  const res = await client.get(path, headers);
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
}

/** GET `formPage`, then POST `action` with the page's CSRF token plus `fields`. */
export async function submit(
  client: FormClient,
  formPage: string,
  action: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const p = await page(client, formPage);
  const res = await client.post(action, { csrf_token: csrfOf(p.html), ...fields }, headers);
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

/** Operators' TOTP secrets and unused recovery codes, by server and username, as enrolment showed them. */
const operatorFactors = new Map<string, { secret: string; recovery: string[] }>();

/**
 * Sign in at one of the consoles (`/account`, `/console`, `/admin`). At `/admin` the second step
 * (docs/adr/0161) is done too: enrolment on the first sign-in (the code computed from the secret the
 * page shows), a recovery code on later ones (a TOTP step signs in only once).
 */
export async function signIn(
  client: FormClient,
  area: 'account' | 'console' | 'admin',
  username: string,
  password: string,
  /** The server's clock when the test moved it (`s.advance`): the enrolment code is computed on it. */
  opts: { now?: () => number } = {},
): Promise<void> {
  const res = await submit(client, `/${area}/login`, `/${area}/login`, { username, password });
  if (area === 'admin' && res.status === 303 && res.location === '/admin/login/enrol') {
    const enrol = await page(client, '/admin/login/enrol');
    const secret = readonlyValue(enrol.html, 'totp-secret')!;
    const done = await client.post('/admin/login/enrol', {
      csrf_token: csrfOf(enrol.html),
      code: totp(base32Decode(secret)!, (opts.now ?? Date.now)()),
    });
    const html = await done.text();
    if (done.status !== 200) throw new Error(`TOTP enrolment answered ${done.status}: ${html.slice(0, 300)}`);
    const recovery = [...html.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    operatorFactors.set(`${client.base}|${username}`, { secret, recovery });
    return;
  }
  if (area === 'admin' && res.status === 303 && res.location === '/admin/login/code') {
    const factors = operatorFactors.get(`${client.base}|${username}`);
    const code = factors?.recovery.shift();
    if (!code) throw new Error(`no recovery code left for operator ${username} at ${client.base}`);
    const second = await submit(client, '/admin/login/code', '/admin/login/code', { code });
    if (second.status !== 303 || !second.location?.startsWith('/admin'))
      throw new Error(`second step answered ${second.status}: ${second.html.slice(0, 300)}`);
    return;
  }
  if (res.status !== 303 || res.location !== `/${area}`)
    throw new Error(`sign-in to /${area} answered ${res.status}: ${res.html.slice(0, 300)}`);
}

/** The value of a read-only input by id (secrets and URLs shown to copy). */
export function readonlyValue(html: string, id: string): string | undefined {
  const m =
    new RegExp(`<input id="${id}" type="text" readonly value="([^"]*)"`).exec(html) ??
    new RegExp(`<textarea id="${id}"[^>]*>([^<]*)</textarea>`).exec(html);
  return m?.[1]?.replace(/&amp;/g, '&');
}
