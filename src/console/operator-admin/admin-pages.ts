/**
 * The operator admin's list and detail pages at scale (issue 14 §3, docs/adr/0162): apps, sellers
 * and the audit log paged with a cursor and searchable; an app's callbacks and permission packages
 * before approval; rejection with a reason; the audit log in words.
 */
import type { AppView } from '../../apps/apps.js';
import type { AuditRecord, AppStatus } from '../../storage/ports.js';
import type { SellerSummary } from '../../storage/management-ports.js';
import type { AuthorizationView } from '../../storage/console-ports.js';
import type { OperatorTokenRecord } from '../../storage/management-ports.js';
import { auditActor, auditSentence } from '../audit-words.js';
import { html, raw, type Raw } from '../../server/pages/html.js';
import type { Lang } from '../../server/pages/i18n.js';
import { ct, formatTime } from '../../server/pages/console-i18n.js';
import { appLogo, consoleLayout, csrfInput, statusBadge, type ConsoleFrame } from '../console-pages.js';
import { resetWords } from '../seller-center/password-reset-pages.js';

const words = {
  en: {
    navApps: 'Apps',
    navSellers: 'Sellers',
    navAudit: 'Audit log',
    navSubscriptions: 'Subscriptions',
    searchApps: 'Search apps by name or AppKey',
    allStatuses: 'All statuses',
    status: 'Status',
    search: 'Search',
    next: 'Next page',
    first: 'First page',
    noApps: 'No app matches.',
    review: 'Review',
    callbacks: 'Callback URLs',
    packages: 'Permission packages',
    everyMethod: 'every API method (no package limit)',
    scopes: 'Scopes',
    quotas: 'Quotas',
    perDay: 'per day',
    perSecond: 'per second',
    none: 'none',
    description: 'Description',
    webhook: 'Webhook URL',
    rejectReason: 'Reason for the developer (required to return the app)',
    reject: 'Return to the developer',
    rejected: 'The app was returned to its developer with your reason.',
    reasonRule: 'Write the reason for the developer (1 to 500 characters).',
    notSubmitted: 'Only an app in review can be returned.',
    lastReturned: 'Last returned to the developer',
    searchSellers: 'Search sellers by username',
    noSellers: 'No seller matches.',
    sellerId: 'Seller id',
    source: 'Account system',
    source_builtin: 'built-in account',
    source_directory: 'platform directory',
    source_oidc: 'platform sign-in (OpenID Connect)',
    stores: 'Stores',
    disabled: 'disabled',
    active: 'active',
    sellerTitle: 'Seller',
    heldBy: 'Apps holding an authorization from this seller',
    heldNone: 'No app holds an authorization from this seller.',
    filterAction: 'Action (e.g. grant.* or console.operator_login)',
    filterActor: 'Who (e.g. operator:ops or seller:12)',
    noAuditMatch: 'Nothing recorded matches.',
    details: 'Details',
    badCursor: 'This page link is out of date. Start from the first page.',
  },
  'zh-CN': {
    navApps: '应用',
    navSellers: '卖家',
    navAudit: '操作日志',
    navSubscriptions: '订购',
    searchApps: '按名称或 AppKey 搜索应用',
    allStatuses: '全部状态',
    status: '状态',
    search: '搜索',
    next: '下一页',
    first: '第一页',
    noApps: '没有符合条件的应用。',
    review: '审核',
    callbacks: '回调地址',
    packages: '权限包',
    everyMethod: '全部接口（不限权限包）',
    scopes: '授权范围',
    quotas: '配额',
    perDay: '每天',
    perSecond: '每秒',
    none: '无',
    description: '简介',
    webhook: 'Webhook 地址',
    rejectReason: '给开发者的退回原因（必填）',
    reject: '退回给开发者',
    rejected: '应用已退回给开发者，并附上了您填写的原因。',
    reasonRule: '请填写给开发者的原因（1 到 500 个字符）。',
    notSubmitted: '只有审核中的应用可以退回。',
    lastReturned: '上次退回',
    searchSellers: '按账号搜索卖家',
    noSellers: '没有符合条件的卖家。',
    sellerId: '卖家编号',
    source: '账号来源',
    source_builtin: '内置账号',
    source_directory: '平台账号目录',
    source_oidc: '平台单点登录（OpenID Connect）',
    stores: '店铺',
    disabled: '已停用',
    active: '正常',
    sellerTitle: '卖家',
    heldBy: '持有该卖家授权的应用',
    heldNone: '没有应用持有该卖家的授权。',
    filterAction: '操作（例如 grant.* 或 console.operator_login）',
    filterActor: '操作人（例如 operator:ops 或 seller:12）',
    noAuditMatch: '没有符合条件的记录。',
    details: '详情',
    badCursor: '此分页链接已过期，请从第一页开始。',
  },
} as const;

export type AdminWord = keyof (typeof words)['en'];
export const aw = (lang: Lang): Record<AdminWord, string> => words[lang];

export type AdminArea = 'apps' | 'sellers' | 'audit';

/** The admin's section links. */
export function adminNav(lang: Lang, current: AdminArea): Raw {
  const w = aw(lang);
  const link = (href: string, label: string, area?: AdminArea) =>
    html`<a href="${href}"${area === current ? raw(' aria-current="page" class="current"') : ''}>${label}</a>`;
  return html`<nav class="adminnav" aria-label="${ct(lang).admin}">${link('/admin', w.navApps, 'apps')} ${link('/admin/sellers', w.navSellers, 'sellers')} ${link('/admin/audit', w.navAudit, 'audit')} ${link('/admin/subscriptions', w.navSubscriptions)}</nav>`;
}

/** A "next page" link keeping the filters; the first-page link when not on the first page. */
export function pager(
  lang: Lang,
  base: string,
  params: Record<string, string | undefined>,
  nextCursor: string | null,
  onFirst: boolean,
): Raw {
  const w = aw(lang);
  const q = (extra: Record<string, string>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...params, ...extra })) if (v !== undefined && v !== '') p.set(k, v);
    const s = p.toString();
    return s ? `${base}?${s}` : base;
  };
  return html`<p class="pager">${onFirst ? '' : html`<a href="${q({})}">${w.first}</a> `}${nextCursor ? html`<a rel="next" href="${q({ cursor: nextCursor })}">${w.next}</a>` : ''}</p>`;
}

const STATUSES: AppStatus[] = ['submitted', 'testing', 'live', 'suspended'];

/** The apps list: search, status filter, cursor paging; each app links to its review page. */
export function adminAppsSection(
  f: { lang: Lang; csrf: string },
  apps: Array<AppView & { developer: string | null }>,
  filter: { q: string; status: string; cursor: string },
  nextCursor: string | null,
): Raw {
  const m = ct(f.lang);
  const w = aw(f.lang);
  const statusForm = (a: AppView, status: AppStatus, label: string, cls: string) =>
    html`<form method="post" action="/admin/apps/${a.appKey}/status"><input type="hidden" name="csrf_token" value="${f.csrf}"><input type="hidden" name="status" value="${status}"><button type="submit" class="${cls} small" aria-label="${label}: ${a.name}">${label}</button></form>`;
  return html`<form method="get" action="/admin" class="filters" role="search">
<label for="app-q">${w.searchApps}</label>
<div class="row"><input type="search" id="app-q" name="q" class="grow" value="${filter.q}">
<label class="sr-only" for="app-status">${w.status}</label><select id="app-status" name="status"><option value="">${w.allStatuses}</option>${STATUSES.map(
    (s) => html`<option value="${s}"${filter.status === s ? raw(' selected') : ''}>${m[`status_${s}`]}</option>`,
  )}</select>
<button type="submit" class="secondary">${w.search}</button></div>
</form>
${
  apps.length === 0
    ? html`<p class="muted">${w.noApps}</p>`
    : html`<ul class="list">${apps.map(
        (
          a,
        ) => html`<li class="item">${appLogo(a.name, a.logoUrl)}<div class="main"><p class="name"><a href="/admin/apps/${a.appKey}">${a.name}</a> ${statusBadge(f.lang, a.status)}</p>
<dl class="facts"><dt>${m.appKey}</dt><dd><code>${a.appKey}</code></dd><dt>${m.developer}</dt><dd>${a.developer ?? '—'}</dd><dt>${m.created}</dt><dd>${formatTime(a.createdAt, f.lang)}</dd></dl></div>
<div class="row">
${a.status === 'submitted' ? html`<a class="button small secondary" href="/admin/apps/${a.appKey}" aria-label="${w.review}: ${a.name}">${w.review}</a>${statusForm(a, 'live', m.approve, 'primary')}` : ''}
${a.status === 'suspended' ? statusForm(a, 'live', m.reinstate, 'secondary') : statusForm(a, 'suspended', m.suspend, 'danger')}
</div></li>`,
      )}</ul>`
}
${pager(f.lang, '/admin', { q: filter.q, status: filter.status }, nextCursor, filter.cursor === '')}`;
}

/**
 * One app as the operator reviews it: callbacks, permission packages, scopes, quotas; approve, return with a reason,
 * suspend.
 */
export function adminAppPage(
  f: ConsoleFrame & {
    csrf: string;
    app: AppView;
    developer: string | null;
    scopeWords: (s: string) => string;
    reason?: string;
  },
): string {
  const m = ct(f.lang);
  const w = aw(f.lang);
  const a = f.app;
  const statusForm = (status: AppStatus, label: string, cls: string) =>
    html`<form method="post" action="/admin/apps/${a.appKey}/status"><input type="hidden" name="csrf_token" value="${f.csrf}"><input type="hidden" name="status" value="${status}"><button type="submit" class="${cls}" aria-label="${label}: ${a.name}">${label}</button></form>`;
  const body = html`${adminNav(f.lang, 'apps')}
<section class="card">
<div class="row">${appLogo(a.name, a.logoUrl)}<h1 class="grow">${a.name} ${statusBadge(f.lang, a.status)}</h1></div>
<dl class="facts">
<dt>${m.appKey}</dt><dd><code>${a.appKey}</code></dd>
<dt>${m.developer}</dt><dd>${f.developer ?? '—'}</dd>
<dt>${m.created}</dt><dd>${formatTime(a.createdAt, f.lang)}</dd>
${a.description ? html`<dt>${w.description}</dt><dd>${a.description}</dd>` : ''}
</dl>
<h2>${w.callbacks}</h2>
${a.callbackUrls.length === 0 ? html`<p class="muted">${w.none}</p>` : html`<ul class="plain" id="callbacks">${a.callbackUrls.map((u) => html`<li><code>${u}</code></li>`)}</ul>`}
<h2>${w.packages}</h2>
${a.permissions === null ? html`<p id="packages">${w.everyMethod}</p>` : a.permissions.length === 0 ? html`<p id="packages" class="muted">${w.none}</p>` : html`<ul class="plain" id="packages">${a.permissions.map((p) => html`<li><code>${p}</code></li>`)}</ul>`}
<h2>${w.scopes}</h2>
<ul class="plain">${a.scopes.map((s) => html`<li>${f.scopeWords(s)} <code>${s}</code></li>`)}</ul>
<h2>${w.quotas}</h2>
<p>${a.quotaPerDay === null ? '—' : `${a.quotaPerDay} ${w.perDay}`}; ${a.quotaPerSecond === null ? '—' : `${a.quotaPerSecond} ${w.perSecond}`}</p>
${a.webhookUrl ? html`<h2>${w.webhook}</h2><p><code>${a.webhookUrl}</code></p>` : ''}
${a.reviewNote ? html`<p class="warn">${w.lastReturned} (${formatTime(a.reviewNoteAt ?? null, f.lang)}): ${a.reviewNote}</p>` : ''}
</section>
<section class="card">
<div class="row">
${a.status === 'submitted' ? statusForm('live', m.approve, 'primary') : ''}
${a.status === 'suspended' ? statusForm('live', m.reinstate, 'secondary') : statusForm('suspended', m.suspend, 'danger')}
</div>
${
  a.status === 'submitted'
    ? html`<form method="post" action="/admin/apps/${a.appKey}/reject" class="spaced">
<input type="hidden" name="csrf_token" value="${f.csrf}">
<label for="reason">${w.rejectReason}</label>
<textarea id="reason" name="reason" rows="3" maxlength="500" required>${f.reason ?? ''}</textarea>
<div class="actions"><button type="submit" class="secondary">${w.reject}</button></div>
</form>`
    : ''
}
</section>`;
  return consoleLayout({ ...f, title: a.name, body });
}

const sourceWord = (w: Record<AdminWord, string>, source: string | undefined) =>
  source === 'directory' ? w.source_directory : source === 'oidc' ? w.source_oidc : w.source_builtin;

/** Sellers, searchable and paged; each links to the operator's view of the seller. */
export function adminSellersPage(
  f: ConsoleFrame & {
    sellers: Array<SellerSummary & { source?: string; nick?: string | null }>;
    q: string;
    cursor: string;
    nextCursor: string | null;
  },
): string {
  const m = ct(f.lang);
  const w = aw(f.lang);
  const body = html`${adminNav(f.lang, 'sellers')}
<section class="card">
<h1>${w.navSellers}</h1>
<form method="get" action="/admin/sellers" class="filters" role="search">
<label for="seller-q">${w.searchSellers}</label>
<div class="row"><input type="search" id="seller-q" name="q" class="grow" value="${f.q}"><button type="submit" class="secondary">${w.search}</button></div>
</form>
${
  f.sellers.length === 0
    ? html`<p class="muted">${w.noSellers}</p>`
    : html`<div class="tablewrap"><table><thead><tr><th scope="col">${w.sellerId}</th><th scope="col">${m.username}</th><th scope="col">${w.source}</th><th scope="col">${w.stores}</th><th scope="col">${w.status}</th><th scope="col">${m.created}</th></tr></thead><tbody>
${f.sellers.map(
  (s) =>
    html`<tr><td><a href="/admin/sellers/${String(s.sellerId)}">${String(s.sellerId)}</a></td><td>${s.nick ? html`${s.nick} <span class="muted">${s.username}</span>` : s.username}</td><td>${sourceWord(w, s.source)}</td><td>${String(s.stores.length)}</td><td>${s.disabledAt ? w.disabled : w.active}</td><td class="nowrap">${formatTime(s.createdAt, f.lang)}</td></tr>`,
)}
</tbody></table></div>`
}
${pager(f.lang, '/admin/sellers', { q: f.q }, f.nextCursor, f.cursor === '')}
</section>`;
  return consoleLayout({ ...f, title: w.navSellers, body });
}

/** One seller as an operator sees it: account, stores, and which apps hold an authorization from them. */
export function adminSellerPage(
  f: ConsoleFrame & {
    csrf: string;
    seller: SellerSummary & { source?: string; nick?: string | null };
    authorizations: AuthorizationView[];
    scopeWords: (s: string) => string;
    resetSellerId?: number;
  },
): string {
  const m = ct(f.lang);
  const w = aw(f.lang);
  const s = f.seller;
  const body = html`${adminNav(f.lang, 'sellers')}
<section class="card">
<h1>${w.sellerTitle} ${s.nick ?? s.username}</h1>
<dl class="facts"><dt>${w.sellerId}</dt><dd><code>${String(s.sellerId)}</code></dd><dt>${m.username}</dt><dd><code>${s.username}</code></dd><dt>${w.source}</dt><dd>${sourceWord(w, s.source)}</dd><dt>${w.status}</dt><dd>${s.disabledAt ? w.disabled : w.active}</dd><dt>${m.created}</dt><dd>${formatTime(s.createdAt, f.lang)}</dd></dl>
<h2>${w.stores}</h2>
<ul class="plain">${s.stores.map((st) => html`<li>${st.name} <code>${String(st.externalId ?? st.storeId)}</code></li>`)}</ul>
${f.resetSellerId !== undefined ? html`<form method="post" action="/admin/sellers/${String(f.resetSellerId)}/password-reset" class="spaced"><input type="hidden" name="csrf_token" value="${f.csrf}"><button type="submit" class="secondary small">${resetWords(f.lang).issue}</button></form>` : ''}
</section>
<section class="card">
<h2>${w.heldBy}</h2>
${
  f.authorizations.length === 0
    ? html`<p class="muted">${w.heldNone}</p>`
    : html`<ul class="list">${f.authorizations.map(
        (a) =>
          html`<li class="item"><div class="main"><p class="name"><a href="/admin/apps/${a.grant.appKey}">${a.appName}</a></p><dl class="facts"><dt>${m.store}</dt><dd>${a.storeName}</dd><dt>${m.permissions}</dt><dd>${a.grant.scope.map((x) => f.scopeWords(x)).join(f.lang === 'en' ? '; ' : '；')}</dd><dt>${m.authorizedAt}</dt><dd>${formatTime(a.grant.createdAt, f.lang)}</dd><dt>${m.lastUsed}</dt><dd>${formatTime(a.lastUsedAt, f.lang)}</dd></dl></div></li>`,
      )}</ul>`
}
</section>`;
  return consoleLayout({ ...f, title: `${w.sellerTitle} ${s.username}`, body });
}

/** The audit log in words, filtered and paged. */
export function adminAuditPage(
  f: ConsoleFrame & {
    entries: AuditRecord[];
    action: string;
    actor: string;
    cursor: string;
    nextCursor: string | null;
  },
): string {
  const m = ct(f.lang);
  const w = aw(f.lang);
  const statusWord = (s: string) => (STATUSES.includes(s as AppStatus) ? m[`status_${s as AppStatus}`] : s);
  const body = html`${adminNav(f.lang, 'audit')}
<section class="card">
<h1>${m.auditLog}</h1>
<form method="get" action="/admin/audit" class="filters" role="search">
<label for="audit-action">${w.filterAction}</label>
<input type="search" id="audit-action" name="action" value="${f.action}">
<label for="audit-actor">${w.filterActor}</label>
<div class="row"><input type="search" id="audit-actor" name="actor" class="grow" value="${f.actor}"><button type="submit" class="secondary">${w.search}</button></div>
</form>
${
  f.entries.length === 0
    ? html`<p class="muted">${f.action || f.actor ? w.noAuditMatch : m.noAudit}</p>`
    : html`<div class="tablewrap"><table class="audit"><thead><tr><th scope="col">${m.when}</th><th scope="col">${m.who}</th><th scope="col">${m.what}</th></tr></thead><tbody>
${f.entries.map(
  (e) =>
    html`<tr><td class="nowrap">${formatTime(e.at, f.lang)}</td><td>${auditActor(e.actor, f.lang)}</td><td>${auditSentence(e, f.lang, statusWord)}</td></tr>`,
)}
</tbody></table></div>`
}
${pager(f.lang, '/admin/audit', { action: f.action, actor: f.actor }, f.nextCursor, f.cursor === '')}
</section>`;
  return consoleLayout({ ...f, title: m.auditLog, body });
}

/** The second step of an operator's sign-in: a TOTP or recovery code (docs/adr/0161). */
export function totpCodePage(f: ConsoleFrame & { csrf: string }): string {
  const m = ct(f.lang);
  const body = html`<section class="card">
<h1>${m.totpTitle}</h1>
<p class="sub">${m.totpCodeSub}</p>
<form method="post" action="/admin/login/code">
${csrfInput(f.csrf)}
<label for="code">${m.totpCode}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required autofocus maxlength="20">
<div class="actions"><button type="submit" class="primary full">${m.totpVerify}</button></div>
</form>
</section>`;
  return consoleLayout({ ...f, title: m.totpTitle, body, narrow: true });
}

/** Enrolment on first sign-in: the secret and otpauth:// link, and a code to confirm. */
export function totpEnrolPage(f: ConsoleFrame & { csrf: string; secret: string; uri: string }): string {
  const m = ct(f.lang);
  const body = html`<section class="card">
<h1>${m.totpEnrolTitle}</h1>
<p class="sub">${m.totpEnrolSub}</p>
<div class="kv"><label for="totp-uri">${m.totpUri}</label><input id="totp-uri" type="text" readonly value="${f.uri}"></div>
<p><a href="${f.uri}">${m.totpUri}</a></p>
<div class="kv"><label for="totp-secret">${m.totpSecret}</label><input id="totp-secret" type="text" readonly value="${f.secret}"></div>
<form method="post" action="/admin/login/enrol">
${csrfInput(f.csrf)}
<label for="code">${m.totpCode}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus maxlength="20">
<div class="actions"><button type="submit" class="primary full">${m.totpConfirm}</button></div>
</form>
</section>`;
  return consoleLayout({ ...f, title: m.totpEnrolTitle, body, narrow: true });
}

/** The recovery codes, shown once after enrolment. */
export function recoveryCodesPage(f: ConsoleFrame & { codes: string[] }): string {
  const m = ct(f.lang);
  const body = html`<section class="card">
<h1>${m.recoveryTitle}</h1>
<p class="sub">${m.recoverySub}</p>
<ul class="recovery-codes" id="recovery-codes">${f.codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<p><a href="/admin">${m.continueToAdmin}</a></p>
</section>`;
  return consoleLayout({ ...f, title: m.recoveryTitle, body, narrow: true });
}

/** An audit detail (stored as JSON) as `key: value, …`. */

/** Operator admin home: apps to review, seller lookup, audit log. */
export function adminHomePage(
  f: ConsoleFrame & {
    csrf: string;
    /** The apps list (adminAppsSection above: search, status filter, cursor paging). */
    appsSection: Raw;
    nav: Raw;
    lookup?: {
      username: string;
      found: boolean;
      authorizations: AuthorizationView[];
      resetSellerId?: number;
      sellerId?: number;
    };
    scopeWords: (s: string) => string;
    /** Management API tokens (docs/management-api.md), newest first. */
    tokens?: OperatorTokenRecord[];
  },
): string {
  const m = ct(f.lang);
  const body = html`${f.nav}
<section class="card">
<h1>${m.apps}</h1>
${f.appsSection}
</section>
<section class="card">
<h2>${m.sellerLookup}</h2>
<form method="get" action="/admin">
<label for="seller">${m.sellerUsername}</label>
<div class="row"><input type="search" id="seller" name="seller" class="grow" value="${f.lookup?.username ?? ''}" required><button type="submit" class="secondary">${m.find}</button></div>
</form>
${
  f.lookup
    ? !f.lookup.found
      ? html`<p class="error spaced">${m.noSuchSeller}</p>`
      : f.lookup.authorizations.length === 0
        ? html`<p class="muted">${m.opHeldNone}</p>`
        : html`<h3>${m.opHeldBy}</h3><ul class="list spaced">${f.lookup.authorizations.map(
            (a) =>
              html`<li class="item"><div class="main"><p class="name">${a.appName}</p><dl class="facts"><dt>${m.store}</dt><dd>${a.storeName}</dd><dt>${m.permissions}</dt><dd>${a.grant.scope.map((s) => f.scopeWords(s)).join('；')}</dd><dt>${m.authorizedAt}</dt><dd>${formatTime(a.grant.createdAt, f.lang)}</dd><dt>${m.lastUsed}</dt><dd>${formatTime(a.lastUsedAt, f.lang)}</dd></dl></div></li>`,
          )}</ul>`
    : ''
}
${f.lookup?.sellerId !== undefined ? html`<p><a href="/admin/sellers/${String(f.lookup.sellerId)}">${m.opSellerPage}</a></p>` : ''}
${f.lookup?.resetSellerId !== undefined ? html`<form method="post" action="/admin/sellers/${f.lookup.resetSellerId}/password-reset" class="spaced">${csrfInput(f.csrf)}<button type="submit" class="secondary small">${resetWords(f.lang).issue}</button></form>` : ''}
</section>
<section class="card" id="operator-tokens">
<h2>${m.operatorTokens}</h2>
<p class="muted">${m.operatorTokensHint}</p>
${
  !f.tokens || f.tokens.length === 0
    ? html`<p class="muted">${m.noOperatorTokens}</p>`
    : html`<div class="tablewrap"><table><thead><tr><th scope="col">${m.tokenName}</th><th scope="col">${m.tokenAccess}</th><th scope="col">${m.created}</th><th scope="col">${m.lastUsed}</th><th scope="col"></th></tr></thead><tbody>
${f.tokens.map(
  (t) =>
    html`<tr><td><code>${t.name}</code></td><td>${t.readOnly ? m.readOnly : m.readWrite}</td><td class="nowrap">${formatTime(t.createdAt, f.lang)}</td><td class="nowrap">${formatTime(t.lastUsedAt, f.lang)}</td><td>${
      t.revokedAt === null
        ? html`<form method="post" action="/admin/operator-tokens/${String(t.tokenId)}/revoke">${csrfInput(f.csrf)}<button type="submit" class="danger small" aria-label="${m.revokeToken}: ${t.name}">${m.revokeToken}</button></form>`
        : html`<span class="muted">${m.tokenRevokedAt} ${formatTime(t.revokedAt, f.lang)}</span>`
    }</td></tr>`,
)}
</tbody></table></div>`
}
</section>`;
  return consoleLayout({ ...f, title: m.apps, body });
}

/** The operator's view of a link just issued (shown once). */
export function passwordResetIssuedPage(
  f: ConsoleFrame & { resetUrl: string; expiresAt: number; username: string; sellerId: number },
): string {
  const w = resetWords(f.lang);
  const body = html`<section class="card">
<h1>${w.issuedTitle}</h1>
<p>${w.issuedFor(f.username, f.sellerId)}</p>
<label for="reset_url">${w.issuedTitle}</label>
<input type="text" id="reset_url" readonly value="${f.resetUrl}">
<p class="hint">${w.issuedHint(formatTime(f.expiresAt, f.lang))}</p>
<p class="foot"><a href="/admin">${w.back}</a></p>
</section>`;
  return consoleLayout({ ...f, title: w.issuedTitle, body, medium: true });
}
