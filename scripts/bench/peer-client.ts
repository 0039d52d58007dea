/**
 * The browser and client side of the bench peers (oidc-provider-target.ts, oauth2-server-target.ts):
 * get codes and tokens through each peer's real flow, never from its store. Used by run.ts and by
 * test/bench-scripts.test.ts. Method: ADR 0081.
 */
import { FormClient } from '../../test/helpers/browserless.js';

/** The JSON line a peer target prints when it is ready. */
export interface PeerReady {
  /** The server process (filled in by whoever started it). */
  pid?: number;
  url: string;
  port: number;
  client: { clientId: string; clientSecret: string };
  callback: string;
  sellers: string[];
  /** Scope to request at the authorize endpoint, if the peer needs one. */
  scope?: string;
  paths: { authorize: string; token: string; login?: string; introspect?: string; bearer?: string };
}

/** A seller's browser on a peer: its own cookie jar. */
export interface PeerBrowser {
  client: FormClient;
  seller: string;
}

/**
 * A browser for each of the peer's sellers, logged in where the peer has a login route
 * (oauth2-server's session cookie; oidc-provider logs in inside its interaction instead).
 */
export async function peerBrowsers(r: PeerReady): Promise<PeerBrowser[]> {
  const browsers = r.sellers.map((seller) => ({ client: new FormClient(r.url), seller }));
  if (r.paths.login)
    for (const b of browsers) {
      const res = await b.client.post(r.paths.login, { username: b.seller });
      await res.arrayBuffer();
      if (res.status >= 400) throw new Error(`peer login for ${b.seller} answered ${res.status}`);
    }
  return browsers;
}

/**
 * One authorization through a peer's real flow, as a browser: its authorize endpoint, then (when
 * it asks) its login + consent interaction, following the redirects with cookies to the code.
 */
export async function peerCode(r: PeerReady, b: PeerBrowser): Promise<string | null> {
  return retryOnce(() => peerCodeOnce(r, b));
}

/** A pooled keep-alive socket can be closed by the server just as the client reuses it: try again once. */
export async function retryOnce<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if ((e as Error).message !== 'fetch failed') throw e;
    return f();
  }
}

async function peerCodeOnce(r: PeerReady, b: PeerBrowser): Promise<string | null> {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: r.client.clientId,
    redirect_uri: r.callback,
    state: 'bench',
    ...(r.scope && { scope: r.scope }),
  });
  let res = await b.client.get(`${r.paths.authorize}?${q}`);
  for (let hop = 0; hop < 6; hop++) {
    const location = res.headers.get('location');
    await res.arrayBuffer();
    if (!location) throw new Error(`no redirect from ${r.url}: ${res.status}`);
    if (location.startsWith(r.callback)) return new URL(location).searchParams.get('code');
    const interaction = /\/interaction\/[\w-]+$/.exec(new URL(location, r.url).pathname);
    res = interaction
      ? await b.client.post(`${interaction[0]}/login`, { username: b.seller })
      : await b.client.get(location);
  }
  throw new Error('too many redirects');
}

/** A form body with the peer client's credentials (client_secret_post). */
export const peerForm = (r: PeerReady, form: Record<string, string>) =>
  new URLSearchParams({ ...form, client_id: r.client.clientId, client_secret: r.client.clientSecret }).toString();

/** A POST of a form to one of the peer's endpoints: status and JSON. */
export async function peerPost(
  r: PeerReady,
  path: string,
  form: Record<string, string>,
): Promise<{ status: number; json: any }> {
  const res = await retryOnce(() =>
    fetch(`${r.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: peerForm(r, form),
    }),
  );
  return { status: res.status, json: await res.json() };
}

/** A code through the real flow, exchanged at the peer's token endpoint. */
export async function peerTokens(
  r: PeerReady,
  b: PeerBrowser,
): Promise<{ access_token: string; refresh_token: string }> {
  const code = await peerCode(r, b);
  if (!code) throw new Error('peer gave no code');
  const { status, json } = await peerPost(r, r.paths.token, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: r.callback,
  });
  if (status !== 200 || !json.refresh_token)
    throw new Error(`peer token endpoint answered ${status}: ${JSON.stringify(json)}`);
  return json;
}
