import { html } from '../../server/pages/html.js';
import type { Lang } from '../../server/pages/i18n.js';
import { ct } from '../../server/pages/console-i18n.js';
import { consoleLayout, type ConsoleFrame } from '../console-pages.js';

/** Words of the seller password reset pages (en, zh-CN). */
const words = {
  en: {
    title: 'Set a new password',
    sub: (u: string) => `For the seller account ${u}. Afterwards every signed-in device is signed out.`,
    newPassword: 'New password',
    save: 'Set password',
    invalid: "This password reset link is invalid, already used or expired. Ask the platform's support for a new one.",
    done: 'Your password is set. Sign in with the new password.',
    issue: 'Issue a password reset link',
    issuedTitle: 'Password reset link',
    issuedFor: (u: string, id: number) => `For seller ${u} (seller_id ${id}).`,
    issuedHint: (until: string) =>
      `Give this link to the seller over a channel you trust (it is shown only now). It works once, until ${until}; issuing another one ends it.`,
    back: 'Back to the admin',
    keptByPlatform: "This seller signs in through the platform's own account system: reset the password there.",
  },
  'zh-CN': {
    title: '设置新密码',
    sub: (u: string) => `卖家账号 ${u}。设置后，所有已登录的设备都会退出登录。`,
    newPassword: '新密码',
    save: '设置密码',
    invalid: '此密码重置链接无效、已使用或已过期，请联系平台客服重新获取。',
    done: '密码已设置，请用新密码登录。',
    issue: '生成密码重置链接',
    issuedTitle: '密码重置链接',
    issuedFor: (u: string, id: number) => `卖家 ${u}（seller_id ${id}）。`,
    issuedHint: (until: string) =>
      `请通过可信的渠道把此链接交给卖家（只显示这一次）。链接只能使用一次，有效期至 ${until}；再次生成会使它失效。`,
    back: '返回运营后台',
    keptByPlatform: '该卖家通过平台自己的账号系统登录，请在那里重置密码。',
  },
} as const;

/** The reset pages' words in a language. */
export const resetWords = (lang: Lang) => words[lang];

/** The page where a seller sets a new password from a reset link (`new_password`, hidden `token`). */
export function passwordResetPage(
  f: ConsoleFrame & { csrf: string; token: string; username: string; action: string },
): string {
  const w = words[f.lang];
  const m = ct(f.lang);
  const body = html`<section class="card">
<h1>${w.title}</h1>
<p class="sub">${w.sub(f.username)}</p>
<form method="post" action="${f.action}">
<input type="hidden" name="csrf_token" value="${f.csrf}">
<input type="hidden" name="token" value="${f.token}">
<input type="text" name="username" value="${f.username}" autocomplete="username" hidden>
<label for="new_password">${w.newPassword}</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" minlength="8" required aria-describedby="np-hint">
<p class="hint" id="np-hint">${m.passwordRule}</p>
<div class="actions"><button type="submit" class="primary full">${w.save}</button></div>
</form>
</section>`;
  return consoleLayout({ ...f, title: w.title, body, narrow: true });
}

/** A reset link that does not work (any reason: unknown, used, expired). */
export function passwordResetInvalidPage(f: ConsoleFrame): string {
  const w = words[f.lang];
  const body = html`<section class="card">
<h1>${w.title}</h1>
<p class="error" role="alert">${w.invalid}</p>
<p class="foot"><a href="/account/login">${ct(f.lang).signIn}</a></p>
</section>`;
  return consoleLayout({ ...f, title: w.title, body, narrow: true });
}
