import type { AppDetails, AuthorizationView } from '../../storage/console-ports.js';
import type { AppStatus } from '../../storage/ports.js';
import type { OperatorTokenRecord } from '../../storage/management-ports.js';
import type { CallRecord, CallSummary } from '../../storage/gateway-ports.js';
import type { QueueStats } from '../../messages/ports.js';
import { esc, html, raw, type Raw } from './html.js';
import type { Lang } from './i18n.js';
import { ct, formatTime, timeZoneLabel } from './console-i18n.js';
import { resetWords } from './password-reset-pages.js';

/** Which site a page belongs to. */
export type Area = 'account' | 'console' | 'admin';

export interface ConsoleFrame {
  lang: Lang;
  platform: string;
  area: Area;
  /** Link that flips the language (`?lang=`). */
  langSwitch: string;
  /** The signed-in user, with the logout form's action and CSRF token. */
  user?: { name: string; logoutAction: string; csrf: string };
  notice?: string;
  error?: string;
}

const areaTitle = (lang: Lang, area: Area) =>
  ct(lang)[area === 'account' ? 'sellerCenter' : area === 'console' ? 'console' : 'admin'];

/** The frame of every console page: a top bar and a centered column. No scripts. */
export function consoleLayout(
  f: ConsoleFrame & { title: string; body: Raw; narrow?: boolean; medium?: boolean },
): string {
  const m = ct(f.lang);
  const area = areaTitle(f.lang, f.area);
  const top = html`<header class="top"><div class="in">
<a class="brand" href="/${f.area}"><span class="mark" aria-hidden="true">授</span><span>${f.platform}</span><span class="area">· ${area}</span></a>
${
  f.user
    ? html`<span class="who">${m.signedInAs} <strong>${f.user.name}</strong></span>
<form method="post" action="${f.user.logoutAction}"><input type="hidden" name="csrf_token" value="${f.user.csrf}"><button type="submit" class="link">${m.signOut}</button></form>`
    : ''
}
<a href="${f.langSwitch}" lang="${f.lang === 'en' ? 'zh-CN' : 'en'}">${m.lang}</a>
</div></header>`;
  const flash = html`${f.notice ? html`<p class="notice" role="status">${f.notice}</p>` : ''}${f.error ? html`<p class="error" role="alert">${f.error}</p>` : ''}`;
  return `<!doctype html>
<html lang="${f.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(f.title)} · ${esc(area)} · ${esc(f.platform)}</title>
<link rel="stylesheet" href="/assets/console.css">
</head>
<body>
${top.html}
<main class="wrap${f.narrow ? ' narrow' : f.medium ? ' medium' : ''}">
${flash.html}${f.body.html}
</main>
</body>
</html>
`;
}

const csrfInput = (csrf: string) => html`<input type="hidden" name="csrf_token" value="${csrf}">`;

/** A sign-in or sign-up form (inputs `username`, `password`). */
export function credentialsPage(
  f: ConsoleFrame & {
    title: string;
    sub: string;
    action: string;
    csrf: string;
    username?: string;
    submit: string;
    signup?: boolean;
    alt?: { text: string; href: string; label: string };
    /** Sellers sign in at the platform's IdP (docs/adr/0160): its button first, the password form folded away. */
    oidc?: { action: string; label: string; sandboxLabel: string };
  },
): string {
  const m = ct(f.lang);
  const body = html`<section class="card">
<h1>${f.title}</h1>
<p class="sub">${f.sub}</p>
${
  f.oidc
    ? html`<form method="post" action="${f.oidc.action}">${csrfInput(f.csrf)}<div class="actions"><button type="submit" class="primary full">${f.oidc.label}</button></div></form>
<details class="sandbox-login"><summary>${f.oidc.sandboxLabel}</summary>`
    : ''
}
<form method="post" action="${f.action}">
${csrfInput(f.csrf)}
<label for="username">${m.username}</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${f.username ?? ''}"${f.signup ? raw(' aria-describedby="username-hint"') : ''}>
${f.signup ? html`<p class="hint" id="username-hint">${m.usernameRule}</p>` : ''}
<label for="password">${m.password}</label>
<input type="password" id="password" name="password" autocomplete="${f.signup ? 'new-password' : 'current-password'}" required${f.signup ? raw(' minlength="8" aria-describedby="password-hint"') : ''}>
${f.signup ? html`<p class="hint" id="password-hint">${m.passwordRule}</p>` : ''}
<div class="actions"><button type="submit" class="primary full">${f.submit}</button></div>
</form>
${f.oidc ? raw('</details>') : ''}
${f.alt ? html`<p class="foot">${f.alt.text} <a href="${f.alt.href}">${f.alt.label}</a></p>` : ''}
</section>`;
  return consoleLayout({ ...f, title: f.title, body, narrow: true });
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

/** The app's logo, or its initial on a tinted square when it has none. */
export function appLogo(name: string, logoUrl: string | null): Raw {
  if (logoUrl && logoUrl.startsWith('https://'))
    return html`<img class="logo" src="${logoUrl}" alt="" width="44" height="44">`;
  return html`<span class="logo" aria-hidden="true">${[...name.trim()][0]?.toUpperCase() ?? '?'}</span>`;
}

export function statusBadge(lang: Lang, status: AppStatus): Raw {
  return html`<span class="badge ${status}">${ct(lang)[`status_${status}`]}</span>`;
}

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

/** Developer console home: the developer's apps and sandbox sellers. */
export function consoleHomePage(
  f: ConsoleFrame & {
    csrf: string;
    apps: AppDetails[];
    sandboxSellers: Array<{ username: string }>;
    created?: { username: string; password: string };
  },
): string {
  const m = ct(f.lang);
  const body = html`<section class="card">
<div class="row"><h1 class="grow">${m.yourApps}</h1><a class="button primary" href="/console/apps/new">${m.createApp}</a></div>
${
  f.apps.length === 0
    ? html`<p class="muted">${m.noApps}</p>`
    : html`<ul class="list">${f.apps.map(
        (
          a,
        ) => html`<li class="item">${appLogo(a.name, a.logoUrl)}<div class="main"><p class="name"><a href="/console/apps/${a.appKey}">${a.name}</a> ${statusBadge(f.lang, a.status)}</p>
<dl class="facts"><dt>${m.appKey}</dt><dd><code>${a.appKey}</code></dd><dt>${m.created}</dt><dd>${formatTime(a.createdAt, f.lang)}</dd></dl></div></li>`,
      )}</ul>`
}
</section>
<section class="card">
<h2>${m.sandboxSellers}</h2>
<p class="sub">${m.sandboxHelp}</p>
${
  f.created
    ? html`<div class="warn" role="status"><p class="lead">${m.sandboxCreated}</p>
<div class="kv"><label for="sb-user">${m.username}</label><input id="sb-user" type="text" readonly value="${f.created.username}"></div>
<div class="kv"><label for="sb-pass">${m.password}</label><input id="sb-pass" type="text" readonly value="${f.created.password}"></div></div>`
    : ''
}
${f.sandboxSellers.length === 0 ? html`<p class="muted">${m.noSandboxSellers}</p>` : html`<ul>${f.sandboxSellers.map((s) => html`<li><code>${s.username}</code></li>`)}</ul>`}
<form method="post" action="/console/sandbox-sellers">${csrfInput(f.csrf)}<button type="submit" class="secondary">${m.createSandboxSeller}</button></form>
</section>`;
  return consoleLayout({ ...f, title: m.yourApps, body });
}

/** The create-app form. */
export function newAppPage(
  f: ConsoleFrame & {
    csrf: string;
    scopes: Array<{ name: string; words: string }>;
    values?: Record<string, string>;
    chosenScopes?: string[];
  },
): string {
  const m = ct(f.lang);
  const v = f.values ?? {};
  const chosen = new Set(f.chosenScopes ?? f.scopes.slice(0, 1).map((s) => s.name));
  const body = html`<section class="card">
<h1>${m.createApp}</h1>
<form method="post" action="/console/apps">
${csrfInput(f.csrf)}
<label for="name">${m.appName}</label>
<input type="text" id="name" name="name" required maxlength="80" value="${v.name ?? ''}">
<label for="description">${m.description}</label>
<textarea id="description" name="description" maxlength="500">${v.description ?? ''}</textarea>
<label for="logo_url">${m.logoUrl}</label>
<input type="url" id="logo_url" name="logo_url" inputmode="url" placeholder="https://" value="${v.logo_url ?? ''}">
<label for="callback_urls">${m.callbackUrls}</label>
<textarea id="callback_urls" name="callback_urls" required placeholder="https://isv.example.com/callback">${v.callback_urls ?? ''}</textarea>
<label for="webhook_url">${m.webhookUrl}</label>
<input type="url" id="webhook_url" name="webhook_url" inputmode="url" placeholder="https://" value="${v.webhook_url ?? ''}">
<fieldset><legend>${m.scopesWanted}</legend>
${f.scopes.map((s) => html`<label class="check"><input type="checkbox" name="scope" value="${s.name}"${chosen.has(s.name) ? raw(' checked') : ''}> <span><code>${s.name}</code> ${s.words}</span></label>`)}
</fieldset>
<div class="actions"><button type="submit" class="primary">${m.createApp}</button><a class="button secondary" href="/console">${m.back}</a></div>
</form>
</section>`;
  return consoleLayout({ ...f, title: m.createApp, body, medium: true });
}

/** What the app page's "recent calls and errors" card shows (from the gateway's call log). */
export interface AppCalls {
  /** Calls and errors in the last 24 hours, and the most frequent errors. */
  day: CallSummary;
  /** The newest calls, newest first. */
  recent: CallRecord[];
}

/** A call's outcome as shown: OK, or the TOP code and sub code the caller got. */
export function callOutcome(lang: Lang, c: Pick<CallRecord, 'code' | 'subCode'>): string {
  if (c.code === null) return ct(lang).callOk;
  return c.subCode ? `${c.code} ${c.subCode}` : String(c.code);
}

/** The "recent calls and errors" card: 24-hour counts, the most frequent errors, the last calls. */
function callsCard(lang: Lang, calls: AppCalls | undefined): Raw {
  const m = ct(lang);
  if (!calls || calls.recent.length === 0) {
    return html`<section class="card" aria-labelledby="calls-title">
<h2 id="calls-title">${m.recentCalls}</h2>
<p class="muted">${m.recentCallsNone}</p>
<p class="hint">${m.recentCallsHow} <a href="/docs">${m.apiReference}</a></p>
</section>`;
  }
  const { day, recent } = calls;
  return html`<section class="card" aria-labelledby="calls-title">
<h2 id="calls-title">${m.recentCalls}</h2>
<dl class="stats">
<div><dt>${m.calls24h}</dt><dd>${day.calls}</dd></div>
<div><dt>${m.errors24h}</dt><dd${day.errors > 0 ? raw(' class="bad"') : ''}>${day.errors}</dd></div>
</dl>
<h3>${m.topErrors}</h3>
${
  day.topErrors.length === 0
    ? html`<p class="muted">${m.noErrors24h}</p>`
    : html`<ul class="errors">${day.topErrors.map((e) => html`<li><code>${callOutcome(lang, e)}</code> <span class="count">× ${e.count}</span></li>`)}</ul>`
}
<table class="calls" role="table">
<caption>${m.lastCalls.replace('{n}', String(recent.length))}</caption>
<thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">${m.callTime.replace('{zone}', timeZoneLabel(lang))}</th><th scope="col" role="columnheader">${m.method}</th><th scope="col" role="columnheader">${m.outcome}</th><th scope="col" role="columnheader" class="num">${m.duration}</th></tr></thead>
<tbody role="rowgroup">
${recent.map(
  (c) =>
    html`<tr role="row"><td role="cell" class="when">${formatTime(c.at, lang, { seconds: true, zone: false })}</td><td role="cell" class="method"><code>${c.method}</code></td><td role="cell" class="${c.code === null ? 'ok' : 'bad'}">${callOutcome(lang, c)}</td><td role="cell" class="num">${c.durationMs} ms</td></tr>
`,
)}</tbody>
</table>
</section>`;
}

/** What the console shows about an app's messages (issue 16 §2). */
export interface AppMessages {
  topics: string[];
  catalogue: Array<{ name: string; description: string; package: string | null }>;
  stats: QueueStats;
  push: boolean;
}

/** The message service card: topics to subscribe to, backlog, failures, last deliveries, sample events. */
function messagesCard(lang: Lang, base: string, csrf: string, m: AppMessages | undefined): Raw | string {
  if (!m) return '';
  const en = lang === 'en';
  const s = m.stats;
  const t = (e: string, z: string) => (en ? e : z);
  return html`<section class="card" id="messages">
<h2>${t('Messages', '消息服务')}</h2>
<p class="sub">${t('Business events of the stores sellers granted you, for the topics you subscribe to and the permission packages you hold. Pull them with GET /api/v1/messages (your AppKey and AppSecret in HTTP Basic) and acknowledge with POST /api/v1/messages/ack', '卖家授权店铺的业务事件：按订阅的主题和已获得的权限包推送。用 GET /api/v1/messages（HTTP Basic：AppKey 与 AppSecret）拉取，用 POST /api/v1/messages/ack 确认')}${m.push ? t('; with a webhook URL they are pushed to it, signed.', '；设置了 Webhook 地址时以签名请求推送。') : '.'}</p>
<form method="post" action="${base}/topics">
${csrfInput(csrf)}
<fieldset><legend>${t('Topics', '订阅主题')}</legend>
${m.catalogue.map(
  (c) =>
    html`<label class="check"><input type="checkbox" name="topic" value="${c.name}"${m.topics.includes(c.name) ? raw(' checked') : ''}> <code>${c.name}</code> ${c.description}${c.package ? html` (${c.package})` : ''}</label>`,
)}
</fieldset>
<div class="actions"><button type="submit" class="secondary">${t('Save topics', '保存订阅')}</button></div>
</form>
<dl class="facts">
<dt>${t('Backlog (not acknowledged)', '积压（未确认）')}</dt><dd>${s.backlog}</dd>
<dt>${t('In flight', '处理中')}</dt><dd>${s.inFlight}</dd>
<dt>${t('Failures (redelivered after the visibility timeout)', '失败（超时后重投）')}</dt><dd>${s.redelivered}</dd>
${m.push ? html`<dt>${t('Push pending / failing', '推送待送达 / 失败')}</dt><dd>${s.pushPending} / ${s.pushFailing}</dd>` : ''}
<dt>${t('Oldest waiting', '最早未确认')}</dt><dd>${s.oldestAt === null ? '—' : formatTime(s.oldestAt, lang)}</dd>
</dl>
${
  s.recent.length === 0
    ? html`<p class="muted">${t('No deliveries yet.', '还没有投递。')}</p>`
    : html`<table role="table" class="calls"><caption>${t('Last deliveries', '最近投递')}</caption><thead><tr role="row"><th role="columnheader">${t('Delivered', '投递时间')}</th><th role="columnheader">${t('Topic', '主题')}</th><th role="columnheader">${t('Store', '店铺')}</th><th role="columnheader">${t('Deliveries', '次数')}</th><th role="columnheader">${t('Acknowledged', '已确认')}</th></tr></thead><tbody>
${s.recent.map(
  (r) =>
    html`<tr role="row"><td role="cell" class="when">${formatTime(r.deliveredAt, lang, { seconds: true, zone: false })}</td><td role="cell"><code>${r.topic}</code></td><td role="cell">${String(r.storeId)}</td><td role="cell" class="num">${String(r.deliveries)}</td><td role="cell" class="${r.ackedAt === null ? 'bad' : 'ok'}">${r.ackedAt === null ? t('no', '否') : t('yes', '是')}</td></tr>
`,
)}</tbody></table>`
}
<form method="post" action="${base}/sample-events" class="actions">${csrfInput(csrf)}<button type="submit" class="secondary">${t('Send sample events to my sandbox sellers', '向沙箱卖家发送示例消息')}</button></form>
</section>`;
}

/** An app's page; `secret` is set only right after creation or rotation (shown once). */
export function appPage(
  f: ConsoleFrame & {
    csrf: string;
    app: AppDetails;
    grantCount: number;
    authorizeUrl: string;
    secret?: string;
    scopeWords: (s: string) => string;
    calls?: AppCalls;
    /** Set when the profile offers the client-side flow: the profile's fragment setting (docs/adr/0116). */
    clientSideFlow?: { profileDefault: 'exact-callback' | 'redirect-rule' };
    /** The message service (issue 16 §2): the app's topics, its queue, the catalogue. */
    messages?: AppMessages;
  },
): string {
  const m = ct(f.lang);
  const a = f.app;
  const base = `/console/apps/${a.appKey}`;
  const csf = f.clientSideFlow;
  const effective = a.fragmentRedirect ?? csf?.profileDefault;
  const fragmentLabel = (v: 'exact-callback' | 'redirect-rule') =>
    v === 'exact-callback' ? m.fragmentExact : m.fragmentRule;
  const fragmentOption = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? raw(' selected') : ''}>${label}</option>`;
  const clientSideCard = csf
    ? html`<section class="card">
<h2>${m.clientSideFlow}</h2>
${
  a.clientSideFlowAt
    ? html`<div class="warn" role="alert"><p><strong>${m.clientSideFlowUsed}</strong> (${m.clientSideFlowLast} ${formatTime(a.clientSideFlowAt, f.lang)}).</p><p>${effective === 'exact-callback' ? m.clientSideFlowStrict : m.clientSideFlowLoose}</p></div>`
    : ''
}
<p class="sub" id="fragment-help">${m.clientSideFlowHelp}</p>
<form method="post" action="${base}/fragment-redirect">
${csrfInput(f.csrf)}
<label for="fragment_redirect">${m.fragmentTo}</label>
<select id="fragment_redirect" name="fragment_redirect" aria-describedby="fragment-help">
${fragmentOption('profile', m.fragmentProfile.replace('{value}', fragmentLabel(csf.profileDefault)), !a.fragmentRedirect)}
${fragmentOption('exact-callback', m.fragmentExact, a.fragmentRedirect === 'exact-callback')}
${fragmentOption('redirect-rule', m.fragmentRule, a.fragmentRedirect === 'redirect-rule')}
</select>
<div class="actions"><button type="submit" class="secondary">${m.save}</button></div>
</form>
</section>`
    : '';
  const body = html`<p><a href="/console">← ${m.yourApps}</a></p>
<section class="card">
<div class="row">${appLogo(a.name, a.logoUrl)}<h1 class="grow">${a.name} ${statusBadge(f.lang, a.status)}</h1></div>
<p class="sub">${a.description ?? ''}</p>
${
  a.status === 'testing' && a.reviewNote
    ? html`<div class="warn" role="alert" id="review-note"><p><strong>${f.lang === 'en' ? 'The operator returned this app for changes' : '运营退回了此应用，请修改后重新提交'}</strong> (${formatTime(a.reviewNoteAt ?? null, f.lang)}):</p><p>${a.reviewNote}</p></div>`
    : ''
}
${
  f.secret
    ? html`<div class="warn" role="status"><p class="lead"><strong>${m.secretOnce}</strong></p>
<div class="kv"><label for="app_key_once">${m.appKey}</label><input id="app_key_once" type="text" readonly value="${a.appKey}"></div>
<div class="kv"><label for="app_secret_once">${m.appSecret}</label><input id="app_secret_once" type="text" readonly value="${f.secret}" aria-describedby="copy-hint"></div>
<p class="hint" id="copy-hint">${m.copyHint}</p></div>`
    : ''
}
<dl class="facts">
<dt>${m.appKey}</dt><dd><code>${a.appKey}</code></dd>
<dt>${m.status}</dt><dd>${m[`statusHelp_${a.status}`]}</dd>
<dt>${m.authorizedSellers}</dt><dd>${f.grantCount}</dd>
<dt>${m.permissions}</dt><dd>${a.scopes.map((s, i) => html`${i > 0 ? '；' : ''}${f.scopeWords(s)}`)}</dd>
<dt>${m.callbackUrls.replace(/[（(].*$/, '')}</dt><dd>${a.callbackUrls.map((u) => html`<code>${u}</code><br>`)}</dd>
${a.webhookUrl ? html`<dt>${m.webhookUrl.replace(/[（(].*$/, '')}</dt><dd><code>${a.webhookUrl}</code></dd>` : ''}
${a.requireSubscription ? html`<dt>${f.lang === 'en' ? 'Sold by subscription' : '按订购售卖'}</dt><dd>${f.lang === 'en' ? 'sellers need an active subscription; tokens end with it' : '商家需有有效订购，令牌随订购到期'}${a.purchaseUrl ? html` (<a href="${a.purchaseUrl}" rel="noopener noreferrer">${f.lang === 'en' ? 'where sellers buy it' : '订购页面'}</a>)` : ''}</dd>` : ''}
</dl>
${a.status === 'testing' ? html`<form method="post" action="${base}/submit" class="actions">${csrfInput(f.csrf)}<button type="submit" class="primary">${m.submit}</button></form>` : ''}
</section>
<div class="grid2">
<section class="card">
<h2 id="au-title">${m.authorizeUrl}</h2>
<textarea id="authorize_url" readonly rows="4" class="mono" aria-labelledby="au-title" aria-describedby="au-hint">${f.authorizeUrl}</textarea>
<p class="hint" id="au-hint">${m.authorizeUrlHelp} ${m.copyHint}</p>
</section>
<section class="card">
<h2>${m.rotateSecret}</h2>
<p class="sub">${m.rotateHelp}</p>
${a.previousSecretExpiresAt !== null ? html`<p class="warn">${m.previousValidUntil} ${formatTime(a.previousSecretExpiresAt, f.lang)}</p>` : ''}
<form method="post" action="${base}/rotate">
${csrfInput(f.csrf)}
<label for="overlap_hours">${m.overlapHours}</label>
<input type="number" id="overlap_hours" name="overlap_hours" min="0" max="168" step="1" value="24" required>
<div class="actions"><button type="submit" class="secondary">${m.rotateSecret}</button></div>
</form>
${a.previousSecretExpiresAt !== null ? html`<form method="post" action="${base}/end-previous" class="actions">${csrfInput(f.csrf)}<button type="submit" class="danger">${m.endPrevious}</button></form>` : ''}
</section>
</div>
<section class="card">
<h2>${m.callbackUrls.replace(/[（(].*$/, '')}</h2>
<form method="post" action="${base}/callbacks">
${csrfInput(f.csrf)}
<label for="callback_urls">${m.editCallbacks}</label>
<textarea id="callback_urls" name="callback_urls" required rows="3" class="mono">${a.callbackUrls.join('\n')}</textarea>
<div class="actions"><button type="submit" class="secondary">${m.saveCallbacks}</button></div>
</form>
</section>
${clientSideCard}
${messagesCard(f.lang, base, f.csrf, f.messages)}
${callsCard(f.lang, f.calls)}`;
  return consoleLayout({ ...f, title: a.name, body });
}

/** An audit detail (stored as JSON) as `key: value, …`. */

/** Operator admin home: apps to review, seller lookup, audit log. */
export function adminHomePage(
  f: ConsoleFrame & {
    csrf: string;
    /** The apps list (src/server/pages/admin-pages.ts: search, status filter, cursor paging). */
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
