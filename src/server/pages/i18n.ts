/** UI languages. zh-CN is the platforms' language; English for everyone else. */
export type Lang = 'zh-CN' | 'en';

/** Pick a language from `?lang=` or `Accept-Language` (RFC 9110 §12.5.4), with a fallback. */
export function pickLang(query: string | undefined, acceptLanguage: string | undefined, fallback: Lang): Lang {
  if (query === 'en' || query === 'zh-CN') return query;
  if (!acceptLanguage) return fallback;
  const ranked = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag, ...rest] = part.trim().split(';');
      const q = rest.map((r) => r.trim()).find((r) => r.startsWith('q='));
      return { tag: (tag ?? '').toLowerCase(), q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return fallback;
}

const messages = {
  en: {
    signIn: 'Sign in',
    signInTo: 'Sign in to continue to',
    username: 'Username',
    password: 'Password',
    wrongPassword: 'The username or password is wrong.',
    sellerDisabled: 'This seller account is disabled. Contact the platform to enable it again.',
    signInUnavailable: 'Sign-in is unavailable right now. Try again shortly.',
    oidcSignIn: 'Sign in with your platform account',
    oidcSandbox: 'Sandbox seller of a developer (testing apps)',
    oidcDenied: 'Sign-in with your platform account was cancelled or refused. You can try again.',
    oidcExpired: 'This sign-in took too long or was started in another browser. Start again.',
    tryAgain: 'Try again',
    authorizeApp: 'Authorize',
    wantsAccess: 'wants to access your store',
    willBeAble: 'It will be able to:',
    chooseStore: 'Choose the store to authorize',
    chooseStores: 'Choose the stores to authorize (one or more)',
    alreadyAuthorized: 'already authorized',
    pickStores: 'Choose at least one of your stores.',
    choosePermissions: 'Choose what it may do (untick what you do not want to allow):',
    alwaysGranted: 'always granted',
    badScope: 'Tick only the permissions this page offers.',
    noStores: 'Your account has no store to authorize.',
    approve: 'Authorize',
    deny: 'Cancel',
    signedInAs: 'Signed in as',
    redirectNote: 'After you choose, you will be sent back to',
    errorTitle: 'Something went wrong',
    requestId: 'Request ID',
    expired: 'This authorization request has expired or was already used. Go back to the app and start again.',
    wrongBrowser:
      'This authorization request was started in another browser or its page is out of date. Go back to the app and start again.',
    csrf: 'This form is out of date or did not come from this site. Reload the page and try again.',
    pickStore: 'Choose one of your stores.',
    internal: 'An unexpected error occurred. Please try again later.',
    notFound: 'Page not found.',
    badRequest:
      "This authorization link is not valid. Go back to the app and try again; if it keeps happening, contact the app's developer.",
    details: 'Details',
    subscriptionTitle: 'Subscription required',
    subscriptionNeeded:
      'needs a subscription, and your account has no active one. Buy or renew it in the service market, then come back to the app and start again.',
    subscriptionBuy: 'Buy a subscription',
    subscriptionNoLink: "Ask the app's developer where to buy a subscription.",
    lang: '中文',
  },
  'zh-CN': {
    signIn: '登录',
    signInTo: '登录以继续授权给',
    username: '账号',
    password: '密码',
    wrongPassword: '账号或密码错误。',
    sellerDisabled: '该商家账号已被停用，请联系平台恢复。',
    signInUnavailable: '登录服务暂时不可用，请稍后再试。',
    oidcSignIn: '使用平台账号登录',
    oidcSandbox: '开发者的沙箱卖家（测试应用）',
    oidcDenied: '平台账号登录已取消或被拒绝，您可以重试。',
    oidcExpired: '登录超时，或不是在本浏览器中发起的，请重新开始。',
    tryAgain: '重试',
    authorizeApp: '授权',
    wantsAccess: '申请访问您的店铺',
    willBeAble: '授权后它将可以：',
    chooseStore: '选择要授权的店铺',
    chooseStores: '选择要授权的店铺（可多选）',
    alreadyAuthorized: '已授权',
    pickStores: '请至少选择一个店铺。',
    choosePermissions: '选择允许它做的事（取消勾选您不想授予的权限）：',
    alwaysGranted: '必须授予',
    badScope: '只能勾选本页列出的权限。',
    noStores: '您的账号下没有可授权的店铺。',
    approve: '确认授权',
    deny: '取消',
    signedInAs: '当前账号',
    redirectNote: '选择后将返回到',
    errorTitle: '出错了',
    requestId: '请求编号',
    expired: '此授权请求已过期或已被使用。请返回应用重新发起授权。',
    wrongBrowser: '此授权请求是在其他浏览器中发起的，或页面已过期。请返回应用重新发起授权。',
    csrf: '表单已过期或并非来自本站。请刷新页面后重试。',
    pickStore: '请选择一个店铺。',
    internal: '发生了意外错误，请稍后重试。',
    notFound: '页面不存在。',
    badRequest: '此授权链接无效。请返回应用重试；如果问题持续出现，请联系应用的开发者。',
    details: '详细信息',
    subscriptionTitle: '需要订购',
    subscriptionNeeded:
      '需要订购后才能授权，您的账号当前没有有效的订购。请先在服务市场订购或续订，再返回应用重新发起授权。',
    subscriptionBuy: '去订购',
    subscriptionNoLink: '请联系应用的开发者了解订购方式。',
    lang: 'English',
  },
} as const;

export type MessageKey = keyof (typeof messages)['en'];

/** The message table for a language. */
export function t(lang: Lang): Record<MessageKey, string> {
  return messages[lang];
}
