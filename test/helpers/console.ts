import { FormClient, hiddenInput } from './browserless.js';

/** The CSRF token of the first form on a page. */
export function csrfOf(html: string): string {
  const v = hiddenInput(html, 'csrf_token');
  if (!v) throw new Error(`no csrf_token on the page:\n${html.slice(0, 400)}`);
  return v;
}

/** GET a page and return its status and HTML. */
export async function page(client: FormClient, path: string, headers: Record<string, string> = {}): Promise<{ status: number; html: string; location: string | null }> {
  const res = await client.get(path, headers);
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
}

/** GET `formPage`, then POST `action` with the page's CSRF token plus `fields`. */
export async function submit(client: FormClient, formPage: string, action: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const p = await page(client, formPage);
  const res = await client.post(action, { csrf_token: csrfOf(p.html), ...fields }, headers);
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

/** Sign in at one of the consoles (`/account`, `/console`, `/admin`). */
export async function signIn(client: FormClient, area: 'account' | 'console' | 'admin', username: string, password: string): Promise<void> {
  const res = await submit(client, `/${area}/login`, `/${area}/login`, { username, password });
  if (res.status !== 303 || res.location !== `/${area}`) throw new Error(`sign-in to /${area} answered ${res.status}: ${res.html.slice(0, 300)}`);
}

/** The value of a read-only input by id (secrets and URLs shown to copy). */
export function readonlyValue(html: string, id: string): string | undefined {
  const m = new RegExp(`<input id="${id}" type="text" readonly value="([^"]*)"`).exec(html) ?? new RegExp(`<textarea id="${id}"[^>]*>([^<]*)</textarea>`).exec(html);
  return m?.[1]?.replace(/&amp;/g, '&');
}
