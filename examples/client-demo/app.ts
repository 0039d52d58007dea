// The client demo: an ISV web app that connects a seller's store through Shouquan.
// Plain node:http, no framework; every Shouquan call goes through @shouquan/sdk.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  OAuthError,
  ShouquanError,
  WebhookSignatureError,
  parseWebhook,
  type ShouquanClient,
  type TokenSet,
  type WebhookEvent,
} from '../../packages/sdk/src/index.js';
import { shouquanStoreData, type Listing, type StoreData } from './store-data.js';

export interface DemoOptions {
  /** The SDK client, configured with the app's key, secret and redirect URI (`<demo>/callback`). */
  sdk: ShouquanClient;
  /** Where orders, products and the store come from (default: Shouquan through the SDK). */
  data?: StoreData;
  /** Where the demo's own secret (for webhooks) comes from; default the SDK client's. */
  appSecret: string;
  /**
   * The permission packages to ask for (`scope` on the authorize request); the seller may untick
   * some on the consent page. Default: the profile's default scope.
   */
  scope?: string;
}

interface Session {
  id: string;
  csrf: string;
  /** The pending authorization request: compared on return (RFC 6749 §10.12, RFC 7636). */
  pending?: { state: string; codeVerifier?: string };
  connected: boolean;
  flash?: { kind: 'ok' | 'error'; text: string };
}

/** The demo's request handler. Sessions live in memory, tokens in the SDK's token store (keyed by session). */
export function createDemoHandler(opts: DemoOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { sdk } = opts;
  const data = opts.data ?? shouquanStoreData(sdk);
  const sessions = new Map<string, Session>();
  const events: Array<WebhookEvent & { received_at: string }> = [];

  function session(req: IncomingMessage, res: ServerResponse): Session {
    const sid = /(?:^|;\s*)demo_sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const found = sid ? sessions.get(sid) : undefined;
    if (found) return found;
    const s: Session = {
      id: randomBytes(16).toString('base64url'),
      csrf: randomBytes(16).toString('base64url'),
      connected: false,
    };
    sessions.set(s.id, s);
    res.setHeader('set-cookie', `demo_sid=${s.id}; Path=/; HttpOnly; SameSite=Lax`);
    return s;
  }

  const tokenKey = (s: Session) => `session:${s.id}`;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo');
    const method = req.method ?? 'GET';

    if (method === 'GET' && url.pathname === '/healthz') return send(res, 200, 'ok', 'text/plain');

    if (method === 'POST' && url.pathname === '/webhook') {
      // Authorization-change push: verify the HMAC over the raw body before trusting anything in it.
      const raw = await readBody(req);
      try {
        const event = parseWebhook(opts.appSecret, raw, req.headers as Record<string, string>);
        if (!events.some((e) => e.event_id === event.event_id))
          events.unshift({ ...event, received_at: new Date().toISOString() });
        return send(res, 204, '', 'text/plain');
      } catch (e) {
        if (e instanceof WebhookSignatureError) return send(res, 401, e.message, 'text/plain');
        return send(res, 400, 'the webhook body is not JSON', 'text/plain');
      }
    }

    const s = session(req, res);

    if (method === 'GET' && url.pathname === '/') return send(res, 200, await homePage(s, url));

    if (method === 'GET' && url.pathname === '/connect') {
      // Ask for the permission packages the demo needs; the seller may untick some (the token's
      // `scope` says what was granted, shown on the page).
      const request = sdk.authorizeUrl(opts.scope !== undefined ? { scope: opts.scope } : {});
      s.pending = { state: request.state, ...(request.codeVerifier ? { codeVerifier: request.codeVerifier } : {}) };
      return redirect(res, request.url);
    }

    if (method === 'GET' && url.pathname === '/callback') {
      const pending = s.pending;
      delete s.pending;
      if (!pending) {
        s.flash = {
          kind: 'error',
          text: 'This authorization response was not expected (no authorization was started in this browser). Connect again.',
        };
        return redirect(res, '/');
      }
      try {
        const tokens = await sdk.handleCallback(callbackUrl(req), {
          state: pending.state,
          ...(pending.codeVerifier ? { codeVerifier: pending.codeVerifier } : {}),
          key: tokenKey(s),
        });
        s.connected = true;
        s.flash = {
          kind: 'ok',
          text: `Store connected. Access token ${mask(tokens.accessToken)} is valid until ${when(tokens.expiresAt)}.`,
        };
      } catch (e) {
        s.flash = {
          kind: 'error',
          text:
            e instanceof OAuthError && e.error === 'access_denied'
              ? 'You declined the authorization: nothing was shared.'
              : `Connecting failed: ${describe(e)}`,
        };
      }
      return redirect(res, '/');
    }

    if (method === 'POST' && (url.pathname === '/refresh' || url.pathname === '/revoke')) {
      const form = new URLSearchParams(await readBody(req));
      if (!sameToken(form.get('csrf') ?? '', s.csrf))
        return send(res, 403, page('Refused', '<p>This form has expired. Go back and try again.</p>'));
      if (url.pathname === '/refresh') {
        try {
          const before = await sdk.tokenStore.get(tokenKey(s));
          const after = await sdk.refresh(tokenKey(s));
          s.flash = {
            kind: 'ok',
            text: `Tokens refreshed: access token ${mask(before?.accessToken)} → ${mask(after.accessToken)}, refresh token ${mask(before?.refreshToken)} → ${mask(after.refreshToken)} (rotated).`,
          };
        } catch (e) {
          s.flash = { kind: 'error', text: `Refresh failed: ${describe(e)}` };
        }
      } else {
        const old = await sdk.tokenStore.get(tokenKey(s));
        try {
          await sdk.revoke(tokenKey(s));
          s.connected = false;
          let proof = '';
          if (old) {
            try {
              await sdk.rest('/api/v1/store', { accessToken: old.accessToken });
              proof = ' (the old access token still works?!)';
            } catch (e) {
              proof = ` The old access token is now refused: ${describe(e)}.`;
            }
          }
          s.flash = { kind: 'ok', text: `Access revoked: the store is disconnected.${proof}` };
        } catch (e) {
          s.flash = { kind: 'error', text: `Revocation failed: ${describe(e)}` };
        }
      }
      return redirect(res, '/');
    }

    return send(res, 404, page('Not found', `<p>No page at ${esc(url.pathname)}. <a href="/">Home</a></p>`));
  }

  async function homePage(s: Session, url: URL): Promise<string> {
    const flash = s.flash ? `<p class="flash ${s.flash.kind}" role="status">${esc(s.flash.text)}</p>` : '';
    delete s.flash;
    const tokens = s.connected ? await sdk.tokenStore.get(tokenKey(s)) : undefined;
    if (!tokens) {
      s.connected = false;
      return page(
        'Connect your store',
        `${flash}
<section class="card hero">
  <h2>Connect your store</h2>
  <p>Acme Order Tools reads your store's orders and products to print packing slips.
  You sign in on Shouquan, choose a store and approve; we never see your password.</p>
  <a class="button" id="connect" href="/connect">Connect your store</a>
</section>${eventsSection()}`,
      );
    }
    let storeHtml: string;
    let ordersHtml = '';
    let productsHtml = '';
    try {
      // The seller may have ticked several stores: list them, show the one picked (?store=ID).
      const stores = await data.stores(tokenKey(s));
      const picked = stores.find((x) => String(x.store_id) === url.searchParams.get('store')) ?? stores[0];
      if (!picked) throw new Error('the token covers no store');
      const store = await data.store(tokenKey(s), picked.store_id);
      const list =
        stores.length > 1
          ? `<ul id="stores">${stores.map((x) => `<li><a href="/?store=${x.store_id}">${esc(x.name)}</a></li>`).join('')}</ul>`
          : '';
      storeHtml = `${list}<dl><dt>Store</dt><dd id="store-name">${esc(store.name)}</dd><dt>Store ID</dt><dd id="store-id">${store.store_id}</dd></dl>`;
      const [orders, products] = await Promise.all([
        data.orders(tokenKey(s), store.store_id),
        data.products(tokenKey(s), store.store_id),
      ]);
      ordersHtml = listingHtml('Orders', 'orders', orders, [
        'order_id',
        'status',
        'buyer_nick',
        'total_fee',
        'created',
      ]);
      productsHtml = listingHtml('Products', 'products', products, ['product_id', 'title', 'price', 'stock', 'status']);
    } catch (e) {
      storeHtml = `<p class="flash error">The store could not be loaded: ${esc(describe(e))}</p>`;
    }
    return page(
      'Your store',
      `${flash}
<section class="card"><h2>Connected store</h2>${storeHtml}</section>
<section class="card"><h2>Tokens</h2>${tokensHtml(tokens)}
  <div class="actions">
    <form method="post" action="/refresh"><input type="hidden" name="csrf" value="${s.csrf}"><button id="refresh" type="submit">Refresh tokens now</button></form>
    <form method="post" action="/revoke"><input type="hidden" name="csrf" value="${s.csrf}"><button id="revoke" class="danger" type="submit">Disconnect (revoke)</button></form>
  </div>
</section>
${ordersHtml}${productsHtml}${eventsSection()}`,
    );
  }

  function eventsSection(): string {
    if (events.length === 0) return '';
    return `<section class="card"><h2>Authorization events (webhooks)</h2><ul>${events
      .slice(0, 10)
      .map(
        (e) =>
          `<li><code>${esc(e.event)}</code> store ${esc(String(e.store_id))} at ${esc(e.occurred_at ?? e.received_at)}</li>`,
      )
      .join('')}</ul></section>`;
  }

  return (req, res) => {
    route(req, res).catch((e: unknown) => {
      if (!res.headersSent)
        send(res, 500, page('Something went wrong', `<p>${esc(describe(e))}</p><p><a href="/">Home</a></p>`));
      else res.end();
    });
  };
}

/** Listen on host:port with the demo; resolves once listening. */
export async function listenDemo(
  handler: ReturnType<typeof createDemoHandler>,
  host: string,
  port: number,
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return { server, url: `http://${host}:${actual}` };
}

// ---- rendering and small helpers ----

function tokensHtml(t: TokenSet): string {
  return `<dl>
<dt>Access token</dt><dd><code id="access-token">${esc(mask(t.accessToken))}</code> valid until ${esc(when(t.expiresAt))}</dd>
<dt>Refresh token</dt><dd><code id="refresh-token">${esc(mask(t.refreshToken))}</code>${t.refreshExpiresAt ? ` valid until ${esc(when(t.refreshExpiresAt))}` : ''}</dd>
<dt>Scope</dt><dd>${esc(t.scope ?? '(none)')}</dd>
</dl>`;
}

function listingHtml<T extends object>(title: string, id: string, l: Listing<T>, columns: string[]): string {
  if ('unavailable' in l)
    return `<section class="card" id="${id}"><h2>${title}</h2><p class="muted">Not available: ${esc(l.unavailable)}.</p></section>`;
  if (l.items.length === 0)
    return `<section class="card" id="${id}"><h2>${title}</h2><p class="muted">None yet.</p></section>`;
  const head = columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const rows = l.items
    .map(
      (item) =>
        `<tr>${columns.map((c) => `<td>${esc(String((item as Record<string, unknown>)[c] ?? ''))}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<section class="card" id="${id}"><h2>${title} <small>(${l.total})</small></h2><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Acme Order Tools</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:14px 24px;display:flex;gap:12px;align-items:baseline}
header h1{font-size:18px;margin:0}header span{opacity:.7;font-size:13px}
main{max-width:860px;margin:24px auto;padding:0 16px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:16px 20px;margin-bottom:16px}
.card h2{font-size:16px;margin:0 0 10px}.hero p{max-width:560px}
dl{display:grid;grid-template-columns:140px 1fr;gap:6px 12px;margin:0}dt{color:#5b6475}dd{margin:0}
.button,button{display:inline-block;background:#c8102e;color:#fff;border:0;border-radius:6px;padding:9px 16px;font:inherit;text-decoration:none;cursor:pointer}
button{background:#2d5bd7}button.danger{background:#fff;color:#b42318;border:1px solid #b42318}
.actions{display:flex;gap:10px;margin-top:14px}
.flash{padding:10px 14px;border-radius:6px}.flash.ok{background:#e7f6ec;color:#17603a}.flash.error{background:#fdecea;color:#8a1c12}
.muted{color:#5b6475}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eef0f3;font-size:14px}
code{background:#f0f2f5;padding:1px 5px;border-radius:4px}
</style></head>
<body><header><h1>Acme Order Tools</h1><span>a Shouquan client demo</span></header><main>${body}</main></body></html>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Show enough of a token to tell two apart, never the whole of it. */
function mask(token: string | undefined): string {
  if (!token) return '(none)';
  return token.length <= 10 ? '…' : `${token.slice(0, 4)}…${token.slice(-4)}`;
}

function when(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function describe(e: unknown): string {
  if (e instanceof ShouquanError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

function callbackUrl(req: IncomingMessage): string {
  // Only the query matters (code, state, iss): the SDK sends its configured redirect URI in the exchange.
  return new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`).toString();
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store' });
  res.end();
}
