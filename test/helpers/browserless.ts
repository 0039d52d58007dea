/**
 * A tiny cookie-keeping HTTP client that walks the login and consent forms the way a
 * browser without JavaScript would: follows no redirects by itself, reads hidden inputs.
 */
export class FormClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq).trim();
      const value = (pair ?? '').slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(pathOrUrl: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(new URL(pathOrUrl, this.base), {
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), ...headers },
    });
    this.keep(res);
    return res;
  }

  /** POST a form; pairs (`[['store_id', '1'], ['store_id', '2']]`) send a name several times. */
  async post(
    pathOrUrl: string,
    form: Record<string, string> | Array<[string, string]>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const res = await fetch(new URL(pathOrUrl, this.base), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
    this.keep(res);
    return res;
  }
}

/** The value of a hidden input in a page. */
export function hiddenInput(html: string, name: string): string | undefined {
  const m = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  return m?.[1];
}

/** The action of the page's form. */
export function formAction(html: string): string | undefined {
  return /<form method="post" action="([^"]*)"/.exec(html)?.[1];
}

export interface AuthorizeOptions {
  username: string;
  password: string;
  /** Which store to pick (by id); default the first offered. */
  storeId?: number;
  /** Several stores to tick (`store_id` sent once per store); wins over `storeId`. */
  storeIds?: number[];
  /** Permission packages to leave ticked (`scope` sent once each); absent: no `scope` field. */
  scopes?: string[];
  decision?: 'approve' | 'deny';
  /** Reuse a client (already logged in). */
  client?: FormClient;
}

/**
 * Drive the whole browser side of an authorization request: authorize → login → consent.
 * Returns the final redirect Location (to the client's callback) and the client used.
 */
export async function authorizeThroughForms(
  base: string,
  authorizeUrl: string,
  opts: AuthorizeOptions,
): Promise<{ location: string; client: FormClient }> {
  const client = opts.client ?? new FormClient(base);
  let res = await client.get(authorizeUrl);
  if (res.status !== 303) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
  // Read every redirect's body too, so the keep-alive connection goes back to the pool at once.
  await res.arrayBuffer();
  let location = res.headers.get('location') ?? '';
  if (!location.includes('/oauth/interaction/')) return { location, client };
  res = await client.get(location);
  let page = await res.text();
  if (page.includes('name="password"')) {
    const action = formAction(page) ?? '';
    res = await client.post(action, {
      csrf_token: hiddenInput(page, 'csrf_token') ?? '',
      username: opts.username,
      password: opts.password,
    });
    if (res.status !== 303) throw new Error(`login answered ${res.status}`);
    await res.arrayBuffer();
    res = await client.get(res.headers.get('location') ?? '');
    page = await res.text();
  }
  const action = formAction(page) ?? '';
  const storeId = opts.storeId ?? Number(/name="store_id" value="(\d+)"/.exec(page)?.[1]);
  const stores = opts.storeIds ?? [storeId];
  res = await client.post(action, [
    ['csrf_token', hiddenInput(page, 'csrf_token') ?? ''],
    ...stores.map((id): [string, string] => ['store_id', String(id)]),
    ...(opts.scopes ?? []).map((sc): [string, string] => ['scope', sc]),
    ['decision', opts.decision ?? 'approve'],
  ]);
  if (res.status !== 303) throw new Error(`consent answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  location = res.headers.get('location') ?? '';
  return { location, client };
}

/** POST a form to the token endpoint (or another) and return status, headers and JSON. */
export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return readResponse(res);
}

/** A response's status, headers, body text and, when the body is JSON, its value. */
export async function readResponse(
  res: Response,
): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
