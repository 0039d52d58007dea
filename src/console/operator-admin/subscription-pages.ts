/**
 * The operator's subscriptions page (`/admin/subscriptions`, docs/adr/0140): the list with its
 * filters, a form to record one, renew and cancel forms on each row, and the apps that require a
 * subscription with their purchase URL. Both languages; no scripts.
 */
import type { AppDetails } from '../../storage/console-ports.js';
import type { SubscriptionRecord } from '../../storage/ports.js';
import { subscriptionStatus } from '../../subscriptions/subscriptions.js';
import { ct, formatTime } from '../../server/pages/console-i18n.js';
import { consoleLayout, type ConsoleFrame } from '../console-pages.js';
import { html } from '../../server/pages/html.js';
import type { Lang } from '../../server/pages/i18n.js';

const words = {
  en: {
    title: 'Subscriptions',
    back: 'Back to apps',
    filter: 'Filter',
    appKey: 'AppKey',
    sellerId: 'Seller id',
    status: 'Status',
    any: 'any',
    active: 'active',
    ended: 'ended',
    expired: 'expired',
    cancelled: 'cancelled',
    plan: 'Plan',
    expiresAt: 'Ends',
    none: 'No subscriptions.',
    record: 'Record a subscription',
    recordHint:
      'A seller’s purchase of an app in the service market. Ends: an ISO 8601 time with a zone, e.g. 2027-01-01T00:00:00+08:00.',
    create: 'Record',
    renew: 'Renew to',
    renewButton: 'Renew',
    cancel: 'Cancel now',
    paidApps: 'Apps and subscriptions',
    paidHint:
      'An app that requires a subscription can only be authorized by sellers with an active one, and its tokens end with the subscription.',
    requires: 'requires a subscription',
    purchaseUrl: 'Purchase URL',
    save: 'Save',
    more: 'More',
  },
  'zh-CN': {
    title: '订购',
    back: '返回应用列表',
    filter: '筛选',
    appKey: 'AppKey',
    sellerId: '商家 ID',
    status: '状态',
    any: '全部',
    active: '有效',
    ended: '已结束',
    expired: '已到期',
    cancelled: '已取消',
    plan: '套餐',
    expiresAt: '到期时间',
    none: '没有订购记录。',
    record: '登记订购',
    recordHint: '商家在服务市场购买应用的记录。到期时间：带时区的 ISO 8601 时间，例如 2027-01-01T00:00:00+08:00。',
    create: '登记',
    renew: '续订至',
    renewButton: '续订',
    cancel: '立即取消',
    paidApps: '应用与订购',
    paidHint: '需要订购的应用只有订购有效的商家才能授权，其令牌随订购到期而失效。',
    requires: '需要订购',
    purchaseUrl: '订购链接',
    save: '保存',
    more: '更多',
  },
} as const;

export const subscriptionWords = (lang: Lang) => words[lang];

const csrfInput = (csrf: string) => html`<input type="hidden" name="csrf_token" value="${csrf}">`;

export function adminSubscriptionsPage(
  f: ConsoleFrame & {
    csrf: string;
    now: number;
    items: SubscriptionRecord[];
    nextCursor: string | null;
    filter: { appKey: string; sellerId: string; status: string };
    apps: AppDetails[];
  },
): string {
  const w = words[f.lang];
  const m = ct(f.lang);
  const statusWord = (s: SubscriptionRecord) => w[subscriptionStatus(s, f.now)];
  const sel = (v: string) => (f.filter.status === v ? ' selected' : '');
  const moreQuery = new URLSearchParams({
    ...(f.filter.appKey ? { app_key: f.filter.appKey } : {}),
    ...(f.filter.sellerId ? { seller_id: f.filter.sellerId } : {}),
    ...(f.filter.status ? { status: f.filter.status } : {}),
    cursor: f.nextCursor ?? '',
  });
  const body = html`<p><a href="/admin">${w.back}</a></p>
<section class="card">
<h1>${w.title}</h1>
<form method="get" action="/admin/subscriptions" class="row">
<label>${w.appKey} <input name="app_key" value="${f.filter.appKey}" size="10"></label>
<label>${w.sellerId} <input name="seller_id" value="${f.filter.sellerId}" size="8"></label>
<label>${w.status} <select name="status"><option value=""${sel('')}>${w.any}</option><option value="active"${sel('active')}>${w.active}</option><option value="ended"${sel('ended')}>${w.ended}</option></select></label>
<button type="submit" class="secondary">${w.filter}</button>
</form>
${
  f.items.length === 0
    ? html`<p class="muted spaced">${w.none}</p>`
    : html`<div class="tablewrap spaced"><table><thead><tr><th scope="col">ID</th><th scope="col">${w.appKey}</th><th scope="col">${w.sellerId}</th><th scope="col">${w.plan}</th><th scope="col">${w.status}</th><th scope="col">${w.expiresAt}</th><th scope="col"></th></tr></thead><tbody>
${f.items.map((s) => {
  const live = s.cancelledAt === null;
  return html`<tr><td><code>${s.subscriptionId}</code></td><td><code>${s.appKey}</code></td><td>${String(s.sellerId)}</td><td>${s.plan ?? '—'}</td><td>${statusWord(s)}</td><td class="nowrap">${formatTime(s.expiresAt, f.lang)}</td><td>${
    live
      ? html`<form method="post" action="/admin/subscriptions/${s.subscriptionId}/renew" class="row">${csrfInput(f.csrf)}<label>${w.renew} <input name="expires_at" required size="25" placeholder="2027-01-01T00:00:00+08:00"></label><button type="submit" class="secondary small">${w.renewButton}</button></form>
<form method="post" action="/admin/subscriptions/${s.subscriptionId}/cancel">${csrfInput(f.csrf)}<button type="submit" class="danger small" aria-label="${w.cancel}: ${s.subscriptionId}">${w.cancel}</button></form>`
      : ''
  }</td></tr>`;
})}
</tbody></table></div>`
}
${f.nextCursor ? html`<p><a href="/admin/subscriptions?${moreQuery.toString()}">${w.more}</a></p>` : ''}
</section>
<section class="card">
<h2>${w.record}</h2>
<p class="muted">${w.recordHint}</p>
<form method="post" action="/admin/subscriptions">${csrfInput(f.csrf)}
<label for="sub-app">${w.appKey}</label><input id="sub-app" name="app_key" required>
<label for="sub-seller">${w.sellerId}</label><input id="sub-seller" name="seller_id" required>
<label for="sub-end">${w.expiresAt}</label><input id="sub-end" name="expires_at" required placeholder="2027-01-01T00:00:00+08:00">
<label for="sub-plan">${w.plan}</label><input id="sub-plan" name="plan">
<div class="row spaced"><button type="submit" class="primary">${w.create}</button></div>
</form>
</section>
<section class="card">
<h2>${w.paidApps}</h2>
<p class="muted">${w.paidHint}</p>
<ul class="list">${f.apps.map(
    (a) => html`<li class="item"><div class="main"><p class="name">${a.name} <code>${a.appKey}</code></p>
<form method="post" action="/admin/apps/${a.appKey}/subscription" class="row">${csrfInput(f.csrf)}
<label><input type="checkbox" name="require_subscription" value="1"${a.requireSubscription ? ' checked' : ''}> ${w.requires}</label>
<label>${w.purchaseUrl} <input name="purchase_url" value="${a.purchaseUrl ?? ''}" size="40" placeholder="https://"></label>
<button type="submit" class="secondary small" aria-label="${w.save}: ${a.name}">${w.save}</button>
</form></div></li>`,
  )}</ul>
</section>`;
  return consoleLayout({ ...f, title: `${w.title} · ${m.admin}`, body });
}
