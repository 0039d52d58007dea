import type { AuthorizationView } from '../../storage/console-ports.js';
import { html } from '../../server/pages/html.js';
import { ct, formatTime } from '../../server/pages/console-i18n.js';
import { appLogo, consoleLayout, csrfInput, type ConsoleFrame } from '../console-pages.js';

/** Seller center home: every live authorization with a revoke button. */
export function sellerHomePage(
  f: ConsoleFrame & {
    csrf: string;
    authorizations: AuthorizationView[];
    scopeWords: (scope: string) => string;
    /** The packages a grant's scope stands for, when the seller may narrow it (docs/adr/0136). */
    packagesOf?: (scope: string[]) => Array<{ scope: string; fixed: boolean }>;
    /** Which app read which order's receiver and when (issue 15), newest first. */
    receiverReads?: Array<{ appName: string; orderId: number; storeId: number; at: number }>;
    /** The platform keeps this seller's password (docs/adr/0125). */
    passwordElsewhere?: boolean;
  },
): string {
  const m = ct(f.lang);
  const body = html`<section class="card">
<h1>${m.authorizedApps}</h1>
${
  f.authorizations.length === 0
    ? html`<p class="muted">${m.noAuthorizations}</p>`
    : html`<ul class="list">${f.authorizations.map(
        (a) => html`<li class="item">
${appLogo(a.appName, a.appLogoUrl)}
<div class="main">
<p class="name">${a.appName}</p>
<dl class="facts">
${
  a.stores.length > 1
    ? html`<dt>${m.stores}</dt><dd><ul class="stores">${a.stores.map(
        (st) =>
          html`<li><span>${st.name}</span> <form method="post" action="/account/authorizations/${a.grant.grantId}/stores/${st.storeId}/remove" class="inline">${csrfInput(f.csrf)}<button type="submit" class="secondary small" aria-label="${m.removeStore}: ${st.name} (${a.appName})">${m.removeStore}</button></form></li>`,
      )}</ul></dd>`
    : html`<dt>${m.store}</dt><dd>${a.storeName}</dd>`
}
<dt>${m.permissions}</dt><dd>${a.grant.scope.map((s, i) => html`${i > 0 ? '；' : ''}${f.scopeWords(s)}`)}</dd>
<dt>${m.authorizedAt}</dt><dd>${formatTime(a.grant.createdAt, f.lang)}</dd>
<dt>${m.lastUsed}</dt><dd>${formatTime(a.lastUsedAt, f.lang)}</dd>
${a.subscriptionEndsAt === undefined ? '' : html`<dt>${f.lang === 'en' ? 'Authorization ends' : '授权到期'}</dt><dd>${a.subscriptionEndsAt === null ? (f.lang === 'en' ? 'ended: no active subscription' : '已结束：没有有效订购') : formatTime(a.subscriptionEndsAt, f.lang)}</dd>`}
</dl>
${
  f.packagesOf
    ? html`<details class="narrow"><summary>${m.changePermissions}</summary>
<form method="post" action="/account/authorizations/${a.grant.grantId}/scope">${csrfInput(f.csrf)}
${f
  .packagesOf(a.grant.scope)
  .map((p) =>
    p.fixed
      ? html`<label class="check"><input type="checkbox" name="scope" value="${p.scope}" checked disabled><input type="hidden" name="scope" value="${p.scope}"> ${f.scopeWords(p.scope)} (${m.alwaysGranted})</label>`
      : html`<label class="check"><input type="checkbox" name="scope" value="${p.scope}" checked> ${f.scopeWords(p.scope)}</label>`,
  )}
<div class="actions"><button type="submit" class="secondary small">${m.savePermissions}</button></div>
</form></details>`
    : ''
}
</div>
<form method="post" action="/account/authorizations/${a.grant.grantId}/revoke">${csrfInput(f.csrf)}<button type="submit" class="danger small" aria-label="${m.revoke}: ${a.appName} (${a.storeName})">${m.revoke}</button></form>
</li>`,
      )}</ul>`
}
</section>
${
  f.receiverReads
    ? html`<section class="card" id="receiver-reads">
<h2>${m.receiverReads}</h2>
<p class="muted">${m.receiverReadsSub}</p>
${
  f.receiverReads.length === 0
    ? html`<p class="muted">${m.noReceiverReads}</p>`
    : html`<div class="tablewrap"><table><thead><tr><th>${m.app}</th><th>${m.order}</th><th>${m.store}</th><th>${m.readAt}</th></tr></thead><tbody>${f.receiverReads.map(
        (r) =>
          html`<tr><td>${r.appName}</td><td>${r.orderId}</td><td>${r.storeId}</td><td>${formatTime(r.at, f.lang)}</td></tr>`,
      )}</tbody></table></div>`
}
</section>`
    : ''
}
${
  f.passwordElsewhere
    ? html`<section class="card">
<h2>${m.changePassword}</h2>
<p class="muted">${m.passwordElsewhere}</p>
</section>`
    : html`<section class="card">
<h2>${m.changePassword}</h2>
<form method="post" action="/account/password">
${csrfInput(f.csrf)}
<label for="current_password">${m.currentPassword}</label>
<input type="password" id="current_password" name="current_password" autocomplete="current-password" required>
<label for="new_password">${m.newPassword}</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" minlength="8" required aria-describedby="np-hint">
<p class="hint" id="np-hint">${m.passwordRule}</p>
<label class="check"><input type="checkbox" name="revoke_all" value="1"> ${m.endAllAuthorizations}</label>
<div class="actions"><button type="submit" class="secondary">${m.changePassword}</button></div>
</form>
</section>`
}`;
  return consoleLayout({ ...f, title: m.authorizedApps, body, medium: true });
}
