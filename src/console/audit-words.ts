import type { Lang } from '../server/pages/i18n.js';

/**
 * The audit log in words (issue 14 §3, docs/adr/0162): each recorded action has a sentence in
 * Chinese and English; the page shows who did it and the sentence, never the raw event name and
 * JSON. Placeholders: {app} the app, {seller} the seller, {subject} the entry's subject (a grant,
 * a token), {from}/{to} app statuses, and any detail field by name ({reason}, {scope}, …).
 * An action missing here falls back to a generic sentence that still names the action.
 */
export const AUDIT_SENTENCES: Record<string, { zh: string; en: string }> = {
  'app.created': { zh: '创建了应用 {app}', en: 'created app {app}' },
  'console.app_created': { zh: '创建了应用 {app}', en: 'created app {app}' },
  'app.updated': { zh: '修改了应用 {app} 的设置', en: "changed app {app}'s settings" },
  'app.status_changed': { zh: '将应用 {app} 从“{from}”改为“{to}”', en: 'changed app {app} from “{from}” to “{to}”' },
  'console.app_status_changed': {
    zh: '将应用 {app} 从“{from}”改为“{to}”',
    en: 'changed app {app} from “{from}” to “{to}”',
  },
  'console.app_submitted': { zh: '提交应用 {app} 审核', en: 'submitted app {app} for review' },
  'console.app_rejected': {
    zh: '退回了应用 {app}，原因：“{reason}”',
    en: 'returned app {app} to its developer: “{reason}”',
  },
  'console.app_callbacks_changed': { zh: '修改了应用 {app} 的回调地址', en: "changed app {app}'s callback URLs" },
  'app.secret_rotated': { zh: '重置了应用 {app} 的密钥', en: "rotated app {app}'s secret" },
  'app.previous_secret_revoked': { zh: '作废了应用 {app} 的旧密钥', en: "ended app {app}'s previous secret" },
  'console.previous_secret_revoked': { zh: '作废了应用 {app} 的旧密钥', en: "ended app {app}'s previous secret" },
  'app.gateway_settings_changed': {
    zh: '修改了应用 {app} 的接口权限、配额或消息设置',
    en: "changed app {app}'s permissions, quotas or messaging settings",
  },
  'console.fragment_redirect_set': {
    zh: '修改了应用 {app} 的客户端授权方式',
    en: "changed app {app}'s client-side flow setting",
  },
  'console.developer_signup': { zh: '注册了开发者账号', en: 'signed up as a developer' },
  'console.sandbox_seller_created': { zh: '创建了沙箱卖家 {seller}', en: 'created sandbox seller {seller}' },
  'console.operator_login': { zh: '登录了运营后台', en: 'signed in to the operator admin' },
  'console.operator_totp_enrolled': { zh: '设置了两步验证', en: 'set up two-step sign-in' },
  'console.operator_totp_reset': {
    zh: '重置了运营人员 {subject} 的两步验证（下次登录时重新设置）',
    en: "reset operator {subject}'s two-step sign-in (set up again at the next sign-in)",
  },
  'operator_token.created': { zh: '创建了管理 API 令牌 {subject}', en: 'created management API token {subject}' },
  'operator_token.revoked': { zh: '吊销了管理 API 令牌 {subject}', en: 'revoked management API token {subject}' },
  'operator_token.used': { zh: '通过管理 API 调用了 {subject}', en: 'called {subject} through the management API' },
  'grant.created': { zh: '卖家 {seller} 授权了应用 {app}', en: 'seller {seller} authorized app {app}' },
  'grant.revoked': {
    zh: '应用 {app} 对卖家 {seller} 的授权已撤销',
    en: "app {app}'s authorization by seller {seller} was revoked",
  },
  'grant.tokens_revoked': {
    zh: '应用 {app} 对卖家 {seller} 的令牌已作废',
    en: "app {app}'s tokens for seller {seller} were revoked",
  },
  'grant.narrowed': {
    zh: '缩小了应用 {app} 对卖家 {seller} 的权限',
    en: "narrowed app {app}'s permissions for seller {seller}",
  },
  'grant.extended': {
    zh: '延长了应用 {app} 对卖家 {seller} 的授权',
    en: "extended app {app}'s authorization by seller {seller}",
  },
  'grant.store_removed': {
    zh: '从应用 {app} 的授权中移除了卖家 {seller} 的一个店铺',
    en: "removed one of seller {seller}'s stores from app {app}'s authorization",
  },
  'console.authorization_revoked': { zh: '撤销了对应用 {app} 的授权', en: 'revoked the authorization of app {app}' },
  'console.authorization_narrowed': {
    zh: '缩小了对应用 {app} 授予的权限',
    en: 'narrowed the permissions granted to app {app}',
  },
  'console.authorization_store_removed': {
    zh: '从对应用 {app} 的授权中移除了一个店铺',
    en: "removed a store from app {app}'s authorization",
  },
  'console.authorizations_revoked_all': { zh: '撤销了全部授权', en: 'revoked every authorization' },
  'console.seller_password_changed': { zh: '修改了密码', en: 'changed their password' },
  'token.revoked': { zh: '吊销了应用 {app} 的一个令牌', en: "revoked one of app {app}'s tokens" },
  'seller.created': { zh: '创建了卖家 {seller}', en: 'created seller {seller}' },
  'seller.updated': { zh: '修改了卖家 {seller}', en: 'changed seller {seller}' },
  'seller.password_reset_issued': {
    zh: '为卖家 {seller} 签发了一次性重置密码链接',
    en: 'issued a one-time password reset link for seller {seller}',
  },
  'seller.password_reset': {
    zh: '卖家 {seller} 通过重置链接设置了新密码',
    en: 'seller {seller} set a new password with a reset link',
  },
  'seller.password_changed': { zh: '卖家 {seller} 修改了密码', en: 'seller {seller} changed their password' },
  'order.receiver_read': {
    zh: '应用 {app} 查看了卖家 {seller} 订单 {subject} 的收件人信息',
    en: "app {app} read the receiver of seller {seller}'s order {subject}",
  },
  'server_key.rotated': { zh: '更换了服务器密钥', en: 'rotated the server key' },
  'subscription.created': {
    zh: '为卖家 {seller} 记录了应用 {app} 的订购',
    en: "recorded seller {seller}'s subscription to app {app}",
  },
  'subscription.renewed': {
    zh: '续订了卖家 {seller} 对应用 {app} 的订购',
    en: "renewed seller {seller}'s subscription to app {app}",
  },
  'subscription.cancelled': {
    zh: '取消了卖家 {seller} 对应用 {app} 的订购',
    en: "cancelled seller {seller}'s subscription to app {app}",
  },
  'subscription.expiring': {
    zh: '卖家 {seller} 对应用 {app} 的订购即将到期',
    en: "seller {seller}'s subscription to app {app} is about to end",
  },
  'subscription.expired': {
    zh: '卖家 {seller} 对应用 {app} 的订购已到期',
    en: "seller {seller}'s subscription to app {app} ended",
  },
};

/** Why a grant ended, in words (`revoked_reason` and audit `reason` values). */
const REASONS: Record<string, { zh: string; en: string }> = {
  seller_revoked: { zh: '卖家撤销', en: 'the seller revoked it' },
  seller_revoked_all: { zh: '卖家撤销全部授权', en: 'the seller revoked every authorization' },
  operator_revoked: { zh: '运营撤销', en: 'an operator revoked it' },
  store_transferred: { zh: '店铺已转给其他卖家', en: 'the store moved to another seller' },
  code_replayed: { zh: '授权码被重复使用', en: 'an authorization code was replayed' },
  refresh_reused: { zh: '刷新令牌被重复使用', en: 'a refresh token was reused' },
  app_suspended: { zh: '应用被暂停', en: 'the app was suspended' },
  subscription_ended: { zh: '订购结束', en: 'the subscription ended' },
};

/** Who did it, in words: `operator:ops` → 运营 ops / operator ops. */
export function auditActor(actor: string | null, lang: Lang): string {
  const zh = lang !== 'en';
  if (actor === null || actor === '') return zh ? '系统' : 'The system';
  if (actor === 'cli') return zh ? '命令行' : 'Command line';
  if (actor === 'system' || actor === 'janitor') return zh ? '系统' : 'The system';
  const i = actor.indexOf(':');
  if (i === -1) return actor;
  const kind = actor.slice(0, i);
  const who = actor.slice(i + 1);
  const words: Record<string, [string, string]> = {
    operator: ['运营', 'Operator'],
    seller: ['卖家', 'Seller'],
    developer: ['开发者', 'Developer'],
    operator_token: ['管理 API 令牌', 'API token'],
    token: ['管理 API 令牌', 'API token'],
    app: ['应用', 'App'],
  };
  const w = words[kind];
  return w ? `${zh ? w[0] : w[1]} ${who}` : actor;
}

/**
 * One audit entry as a sentence in the page's language. `statusWord` turns an app status into the
 * page's word for it; the result is plain text (the page escapes it).
 */
export function auditSentence(
  e: {
    event: string;
    appKey: string | null;
    sellerId: number | null;
    subject: string | null;
    detail: Record<string, unknown> | null;
  },
  lang: Lang,
  statusWord: (status: string) => string,
): string {
  const zh = lang !== 'en';
  const d = e.detail ?? {};
  const entry = AUDIT_SENTENCES[e.event];
  const values: Record<string, string> = {
    app: e.appKey ?? '—',
    seller: e.sellerId === null ? '—' : String(e.sellerId),
    subject: e.subject ?? '—',
  };
  for (const [k, v] of Object.entries(d))
    values[k] =
      typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  if (typeof d.from === 'string') values.from = statusWord(d.from);
  if (typeof d.to === 'string') values.to = statusWord(d.to);
  let sentence = entry
    ? (zh ? entry.zh : entry.en).replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? '—')
    : zh
      ? `记录了操作 ${e.event}`
      : `recorded the action ${e.event}`;
  // The facts a reader needs that the sentence does not already say.
  const extra: string[] = [];
  const reason = typeof d.reason === 'string' ? d.reason : undefined;
  if (reason && !entry?.en.includes('{reason}')) {
    const r = REASONS[reason];
    extra.push(zh ? `原因：${r ? r.zh : reason}` : `reason: ${r ? r.en : reason}`);
  }
  if (e.event === 'console.operator_login' && d.second_factor === 'recovery')
    extra.push(zh ? '使用了恢复码' : 'with a recovery code');
  if (typeof d.scope === 'string') extra.push(zh ? `权限：${d.scope}` : `permissions: ${d.scope}`);
  if (typeof d.grants === 'number') extra.push(zh ? `共 ${d.grants} 个授权` : `${d.grants} authorizations`);
  if (d.store_id !== undefined && d.store_id !== null)
    extra.push(zh ? `店铺 ${String(d.store_id)}` : `store ${String(d.store_id)}`);
  if (extra.length > 0) sentence += zh ? `（${extra.join('；')}）` : ` (${extra.join('; ')})`;
  return sentence;
}
