import type { AppStatus } from '../storage/ports.js';
import { esc, html, raw, type Raw } from '../server/pages/html.js';
import type { Lang } from '../server/pages/i18n.js';
import { ct } from '../server/pages/console-i18n.js';

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

export const csrfInput = (csrf: string) => html`<input type="hidden" name="csrf_token" value="${csrf}">`;

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

/** The app's logo, or its initial on a tinted square when it has none. */
export function appLogo(name: string, logoUrl: string | null): Raw {
  if (logoUrl && logoUrl.startsWith('https://'))
    return html`<img class="logo" src="${logoUrl}" alt="" width="44" height="44">`;
  return html`<span class="logo" aria-hidden="true">${[...name.trim()][0]?.toUpperCase() ?? '?'}</span>`;
}

export function statusBadge(lang: Lang, status: AppStatus): Raw {
  return html`<span class="badge ${status}">${ct(lang)[`status_${status}`]}</span>`;
}
