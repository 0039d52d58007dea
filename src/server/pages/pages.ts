import type { StoreRecord } from '../../storage/ports.js';
import { html, layout, type Raw } from './html.js';
import { t, type Lang } from './i18n.js';
import { appLogo } from '../../console/console-pages.js';

interface Frame {
  lang: Lang;
  platform: string;
  variant?: string | null;
}

const brand = (platform: string) =>
  html`<p class="brand"><span class="mark" aria-hidden="true">授</span>${platform}</p>`;

/** The seller login form: inputs `username`, `password` and a CSRF token (RFC 6749 §10.12). */
export function loginPage(
  f: Frame & {
    action: string;
    csrf: string;
    appName: string;
    error?: string;
    username?: string;
    langSwitch: string;
    logoUrl?: string | null;
    rememberLabel?: string;
    /**
     * Sellers sign in at the platform's IdP (docs/adr/0160): a button posting here; the password form folds away for
     * sandbox sellers.
     */
    oidcAction?: string;
  },
): string {
  const m = t(f.lang);
  const form = html`<form method="post" action="${f.action}">
<input type="hidden" name="csrf_token" value="${f.csrf}">
<label for="username">${m.username}</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${f.username ?? ''}"${f.username || f.oidcAction ? '' : ' autofocus'}>
<label for="password">${m.password}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${f.username ? ' autofocus' : ''}>
${f.rememberLabel ? html`<label class="remember"><input type="checkbox" id="remember" name="remember" value="1"> <span>${f.rememberLabel}</span></label>` : ''}
<div class="actions"><button type="submit" class="${f.oidcAction ? 'secondary' : 'primary'}">${m.signIn}</button></div>
</form>`;
  const body: Raw = html`${brand(f.platform)}
<h1>${m.signIn}</h1>
<p class="sub appline">${f.logoUrl ? appLogo(f.appName, f.logoUrl) : ''}<span>${m.signInTo} <span class="app">${f.appName}</span></span></p>
${f.error ? html`<p class="error" role="alert">${f.error}</p>` : ''}
${
  f.oidcAction
    ? html`<form method="post" action="${f.oidcAction}">
<input type="hidden" name="csrf_token" value="${f.csrf}">
<div class="actions"><button type="submit" class="primary" autofocus>${m.oidcSignIn}</button></div>
</form>
<details class="sandbox-login"${f.username ? ' open' : ''}><summary>${m.oidcSandbox}</summary>
${form}</details>
`
    : form
}<p class="foot"><span></span><a href="${f.langSwitch}">${m.lang}</a></p>`;
  return layout({ lang: f.lang, title: `${m.signIn} · ${f.platform}`, body, variant: f.variant });
}

/**
 * The consent page: the app, the scope in plain words, the store picker (`store_id`) and two
 * submit buttons named `decision` (`approve`, `deny`).
 */
export function consentPage(
  f: Frame & {
    action: string;
    csrf: string;
    appName: string;
    scopes: string[];
    /** The seller ticks each permission package (`scope` checkboxes); replaces the plain `scopes` list. */
    packages?: Array<{ scope: string; words: string; checked: boolean; fixed: boolean }>;
    stores: StoreRecord[];
    /** `several`: `store_id` checkboxes (one grant covers the ticked stores); else one radio choice. */
    storeChoice?: 'one' | 'several';
    /** Stores the app already holds under the seller's live grant (ticked, marked). */
    grantedStoreIds?: number[];
    username: string;
    redirectHost: string;
    error?: string;
    langSwitch: string;
    logoUrl?: string | null;
    /** A search box over the stores (sellers with many stores); no JavaScript: a GET form. */
    storeSearch?: {
      action: string;
      q: string;
      label: string;
      button: string;
      total: number;
      none: string;
      shown: string;
    };
    /** This seller may not authorize this app (the error says why): offer only Cancel. */
    blocked?: boolean;
  },
): string {
  const m = t(f.lang);
  const first = f.stores[0]?.storeId;
  const search = f.blocked ? undefined : f.storeSearch;
  const body: Raw = html`${brand(f.platform)}
<h1 class="appline">${f.logoUrl ? appLogo(f.appName, f.logoUrl) : ''}<span><span class="app">${f.appName}</span> ${m.wantsAccess}</span></h1>
<p class="sub">${m.signedInAs} <strong>${f.username}</strong></p>
${f.error ? html`<p class="error" role="alert">${f.error}</p>` : ''}
${
  search
    ? html`<form method="get" action="${search.action}" class="store-search" role="search">
<label for="store-q">${search.label}</label>
<div class="searchrow"><input type="search" id="store-q" name="q" value="${search.q}"><button type="submit" class="secondary">${search.button}</button></div>
<p class="meta">${f.stores.length} / ${search.total} ${search.shown}</p>
</form>`
    : ''
}
<form method="post" action="${f.action}">
<input type="hidden" name="csrf_token" value="${f.csrf}">
${
  f.packages && f.packages.length > 0
    ? html`<fieldset class="perms"><legend>${m.choosePermissions}</legend>
${f.packages.map((p) =>
  p.fixed
    ? html`<label class="perm"><input type="checkbox" name="scope" value="${p.scope}" checked disabled><input type="hidden" name="scope" value="${p.scope}"><span>${p.words} <small class="meta">(${m.alwaysGranted})</small></span></label>
`
    : html`<label class="perm"><input type="checkbox" name="scope" value="${p.scope}"${p.checked ? ' checked' : ''}><span>${p.words}</span></label>
`,
)}</fieldset>`
    : html`<p>${m.willBeAble}</p>
<ul class="perms">${f.scopes.map((s) => html`<li>${s}</li>`)}</ul>`
}
${
  f.blocked
    ? ''
    : f.stores.length === 0
      ? html`<p class="error">${search && search.total > 0 ? search.none : m.noStores}</p>`
      : f.storeChoice === 'several'
        ? html`<fieldset><legend>${m.chooseStores}</legend>
${f.stores.map((s) => {
  const granted = f.grantedStoreIds?.includes(s.storeId) ?? false;
  const ticked = granted || (!f.grantedStoreIds?.length && s.storeId === first);
  return html`<label class="store"><input type="checkbox" name="store_id" value="${s.storeId}"${ticked ? ' checked' : ''}><span>${s.name}${granted ? html` <small class="meta">(${m.alreadyAuthorized})</small>` : ''}</span></label>
`;
})}</fieldset>`
        : html`<fieldset><legend>${m.chooseStore}</legend>
${f.stores.map(
  (
    s,
  ) => html`<label class="store"><input type="radio" name="store_id" value="${s.storeId}"${s.storeId === first ? ' checked' : ''} required><span>${s.name}</span></label>
`,
)}</fieldset>`
}
<div class="actions">
${f.stores.length > 0 && !f.blocked ? html`<button type="submit" name="decision" value="approve" class="primary">${m.approve}</button>` : ''}
<button type="submit" name="decision" value="deny" class="secondary" formnovalidate>${m.deny}</button>
</div>
</form>
<p class="meta">${m.redirectNote} <code>${f.redirectHost}</code></p>
<p class="foot"><span></span><a href="${f.langSwitch}">${m.lang}</a></p>`;
  return layout({ lang: f.lang, title: `${m.authorizeApp} ${f.appName} · ${f.platform}`, body, variant: f.variant });
}

/** An error page: never a stack trace, always the request id for support. */
export function errorPage(f: Frame & { message: string; requestId: string; detail?: string; back?: string }): string {
  const m = t(f.lang);
  const body: Raw = html`${brand(f.platform)}
<h1>${m.errorTitle}</h1>
<p class="error" role="alert">${f.message}</p>
${f.back ? html`<p><a class="button primary" href="${f.back}">${m.tryAgain}</a></p>` : ''}
${f.detail ? html`<p class="detail">${m.details}: ${f.detail}</p>` : ''}
<p class="meta">${m.requestId}: <code>${f.requestId}</code></p>`;
  return layout({ lang: f.lang, title: `${m.errorTitle} · ${f.platform}`, body, variant: f.variant });
}

/**
 * A seller without an active subscription to an app that requires one (docs/adr/0140): HTTP 403,
 * with a link to where the app is sold when the app has one.
 */
export function subscriptionRequiredPage(
  f: Frame & { appName: string; purchaseUrl: string | null; requestId: string; langSwitch?: string },
): string {
  const m = t(f.lang);
  const body: Raw = html`${brand(f.platform)}
<h1>${m.subscriptionTitle}</h1>
<p class="error" role="alert"><strong>${f.appName}</strong> ${m.subscriptionNeeded}</p>
${f.purchaseUrl ? html`<p class="actions"><a class="primary" href="${f.purchaseUrl}" rel="noopener noreferrer">${m.subscriptionBuy}</a></p>` : html`<p>${m.subscriptionNoLink}</p>`}
<p class="meta">${m.requestId}: <code>${f.requestId}</code></p>
${f.langSwitch ? html`<p class="foot"><span></span><a href="${f.langSwitch}">${m.lang}</a></p>` : ''}`;
  return layout({ lang: f.lang, title: `${m.subscriptionTitle} · ${f.platform}`, body, variant: f.variant });
}
