import type { AppDetails } from '../../storage/console-ports.js';
import type { CallRecord, CallSummary } from '../../storage/gateway-ports.js';
import type { QueueStats } from '../../messages/ports.js';
import { html, raw, type Raw } from '../../server/pages/html.js';
import type { Lang } from '../../server/pages/i18n.js';
import { ct, formatTime, timeZoneLabel } from '../../server/pages/console-i18n.js';
import { appLogo, consoleLayout, csrfInput, statusBadge, type ConsoleFrame } from '../console-pages.js';

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
