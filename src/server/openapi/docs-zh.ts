import { gatewayMethods } from '../../gateway/methods/index.js';
import { argsOf } from '../../gateway/methods/method.js';
import { PUBLISHABLE_TOPICS } from '../../messages/topics.js';
import type { HttpContext } from '../http-context.js';

/** The Chinese of one operation on `/docs?lang=zh-CN`; `parameters` only where the wording depends on the profile. */
export interface OperationZh {
  summary: string;
  description?: string;
  parameters?: Record<string, string>;
}

/** What `/docs` shows of one OpenAPI operation (the subset the page reads). */
export interface DocOperationText {
  summary: string;
  description?: string;
  parameters?: Array<{ name: string; description?: string }>;
  responses: Record<string, { description: string }>;
}

/** The Chinese names of the OpenAPI tags (the page's section headings). */
export const TAGS_ZH: Record<string, string> = {
  'OAuth 2.0': 'OAuth 2.0',
  'Seller pages': '卖家授权页面',
  'API (signed router)': '开放 API（签名路由）',
  'API (REST)': '开放 API（REST）',
  'API (messages)': '开放 API（消息服务）',
  Operations: '运维',
  Sandbox: '沙箱',
  'Seller center': '卖家中心',
  'Developer console': '开发者控制台',
  'Operator admin': '运营后台',
  'Management: apps': '管理 API：应用',
  'Management: sellers': '管理 API：卖家',
  'Management: grants': '管理 API：授权',
  'Management: subscriptions': '管理 API：订购',
  'Management: audit': '管理 API：审计日志',
  'Management: events': '管理 API：业务事件',
  'Management: operators': '管理 API：运营人员',
};

/**
 * Parameter and response descriptions, keyed by their English text in `/openapi.json` (they repeat
 * across operations: "CSRF check failed", "no such app", a gateway argument, …).
 */
export const PHRASES_ZH: Record<string, string> = {
  // Parameters
  'the callback; matched by the profile rule': '回调地址，按本平台规则匹配',
  'opaque value echoed back': '原样带回的不透明值',
  'PKCE (RFC 7636): base64url SHA-256 of the verifier': 'PKCE（RFC 7636）：code_verifier 的 SHA-256，base64url 编码',
  'must be S256 when code_challenge is sent': '传 code_challenge 时必须为 S256',
  'page language': '页面语言',
  'page style': '页面样式',
  'the interaction': '授权交互的 ID',
  grant_type: '授权类型',
  'authorization_code: the code': 'authorization_code：授权码',
  'authorization_code: the redirect_uri of the authorization request': 'authorization_code：授权请求中的 redirect_uri',
  'authorization_code: the PKCE verifier': 'authorization_code：PKCE 的 code_verifier',
  'refresh_token: the refresh token': 'refresh_token：刷新令牌',
  'refresh_token: a narrower scope': 'refresh_token：缩小后的权限范围',
  'client_secret_post: the AppKey': 'client_secret_post：AppKey',
  'client_secret_post: the AppSecret': 'client_secret_post：AppSecret',
  'the store to act on, one of the token’s (`GET /api/v1/stores`), as listed there: Shouquan’s number for a built-in store, the platform’s own id for a store from its account system (`serve --seller-directory`); may be left out when the token covers one store, required when it covers several':
    '要操作的店铺，须是令牌覆盖的店铺之一（见 `GET /api/v1/stores`），取值与那里列出的一致：内置店铺为 Shouquan 的编号，来自平台账号体系（`serve --seller-directory`）的店铺为平台自己的 ID；令牌只覆盖一个店铺时可省略，覆盖多个时必填',
  'at most this many messages, 1 to 100 (default 100)': '最多取多少条消息，1 到 100（默认 100）',
  'seconds to wait for a first message, 0 to 20 (default 0)': '等待第一条消息的秒数，0 到 20（默认 0）',
  'API method name': 'API 方法名',
  'the AppKey': '应用的 AppKey',
  'the seller’s access token (`access_token` also accepted); not needed for auth.token.refresh':
    '卖家的访问令牌（也可用 `access_token`）；auth.token.refresh 不需要',
  '`yyyy-MM-dd HH:mm:ss` GMT+8, within the allowed skew': '`yyyy-MM-dd HH:mm:ss`，东八区时间，须在允许的误差内',
  'API version': 'API 版本',
  'response format': '响应格式',
  'signature algorithm': '签名算法',
  'uppercase hex signature of the sorted parameters (docs/gateway.md)':
    '按参数名排序后计算的签名，大写十六进制（见 docs/gateway.md）',
  'page number from 1': '页码，从 1 开始',
  'items per page': '每页条数',
  'only products with this status': '只看该状态的商品',
  'only orders in this status': '只看该状态的订单',
  'changed at or after, `yyyy-MM-dd HH:mm:ss` GMT+8, inclusive':
    '修改时间不早于，`yyyy-MM-dd HH:mm:ss`，东八区，含边界',
  'changed at or before, `yyyy-MM-dd HH:mm:ss` GMT+8, inclusive':
    '修改时间不晚于，`yyyy-MM-dd HH:mm:ss`，东八区，含边界',
  'created at or after, `yyyy-MM-dd HH:mm:ss` GMT+8, inclusive':
    '创建时间不早于，`yyyy-MM-dd HH:mm:ss`，东八区，含边界',
  'created at or before, `yyyy-MM-dd HH:mm:ss` GMT+8, inclusive':
    '创建时间不晚于，`yyyy-MM-dd HH:mm:ss`，东八区，含边界',
  'the product': '商品 ID',
  'the order': '订单号',
  'the authorization': '授权 ID',
  'a seller username to look up': '要查找的卖家用户名',
  'the token_id': '令牌的 token_id',
  'the seller_id': '卖家的 seller_id',
  'the subscription_id (sub_…)': '订购的 subscription_id（sub_…）',
  'the link’s token': '链接中的 token',
  'the operator’s username': '运营人员的用户名',
  // Responses: OAuth and the seller pages
  ready: '就绪',
  'database unreachable': '数据库无法连接',
  'to the login/consent page, or an error back to the callback': '跳转到登录/授权确认页，或把错误带回回调地址',
  'error page: the client or redirect_uri cannot be trusted': '错误页：应用或 redirect_uri 不可信',
  'login or consent page': '登录页或授权确认页',
  'expired, used, or started in another browser': '已过期、已使用，或是在另一个浏览器中发起的',
  'logged in: on to consent': '已登录，进入授权确认',
  'wrong username or password': '用户名或密码错误',
  'CSRF check failed': 'CSRF 校验未通过',
  'too many attempts': '尝试次数过多',
  'the platform’s seller directory (serve --seller-directory) did not answer: sign-in is unavailable, try again shortly (with Retry-After)':
    '平台的卖家目录（serve --seller-directory）没有应答：暂时无法登录，请稍后重试（带 Retry-After）',
  'to the callback with `code` (or `error=access_denied`), `state` and `iss`':
    '跳转到回调地址，带 `code`（或 `error=access_denied`）、`state` 和 `iss`',
  'no store chosen, or the request expired': '没有选择店铺，或请求已过期',
  'tokens, in this profile’s field names (`Cache-Control: no-store`)':
    '令牌，字段名按本平台的约定（`Cache-Control: no-store`）',
  'RFC 6749 §5.2 error': 'RFC 6749 §5.2 规定的错误',
  '`invalid_client`, with `WWW-Authenticate`': '`invalid_client`，带 `WWW-Authenticate`',
  'revoked, or the token was unknown (same answer)': '已撤销，或令牌不存在（两者应答相同）',
  'token state': '令牌状态',
  metadata: '元数据',
  'the store': '店铺',
  'invalid_request: `store_id` missing (the token covers several stores) or malformed':
    'invalid_request：缺少 `store_id`（令牌覆盖多个店铺时）或格式不对',
  'invalid_token, with `WWW-Authenticate: Bearer`': 'invalid_token，带 `WWW-Authenticate: Bearer`',
  'not_found: the store is not one of the token’s': 'not_found：该店铺不在令牌覆盖范围内',
  'the messages (an empty list when none arrived in time)': '消息（在等待时间内没有消息时为空列表）',
  'invalid_request: a bad `max`, `wait` or body': 'invalid_request：`max`、`wait` 或请求体不正确',
  'invalid_client, with `WWW-Authenticate: Basic`': 'invalid_client，带 `WWW-Authenticate: Basic`',
  'too many failed client authentications (`Retry-After`)': '应用认证失败次数过多（`Retry-After`）',
  done: '完成',
  'a method response (`<method with dots as underscores>_response`, the method’s answer plus `request_id`) or an error_response':
    '方法的响应（`<方法名中的点换成下划线>_response`，即方法的返回加上 `request_id`）或 error_response',
  'the method’s answer': '方法的返回',
  'invalid_request: a missing or bad argument (`sub_code` names it)':
    'invalid_request：缺少参数或参数不正确（`sub_code` 指明是哪个）',
  'missing or invalid token': '缺少令牌或令牌无效',
  'outside the app’s permissions or the grant’s scope': '超出应用的权限或授权的范围',
  'not found in this store': '本店铺中不存在',
  'call quota exceeded (`Retry-After`)': '超出调用额度（`Retry-After`）',
  created: '已创建',
  'the time': '当前时间',
  'the new time': '调整后的时间',
  'advance_seconds missing or out of range': '缺少 advance_seconds 或超出范围',
  'the parameters received': '收到的参数',
  stylesheet: '样式表',
  // Responses: seller login at the platform's OpenID Connect IdP
  'to the IdP’s authorization endpoint (code, PKCE S256, state, nonce)':
    '跳转到身份提供方的授权端点（授权码模式、PKCE S256、state、nonce）',
  'the IdP could not be discovered: sign-in is unavailable, try again shortly (with Retry-After)':
    '无法获取身份提供方的配置：暂时无法登录，请稍后重试（带 Retry-After）',
  'signed in: back to the authorize request or /account': '已登录：回到授权请求或 /account',
  'cancelled at the IdP, or the sign-in expired or was started in another browser':
    '在身份提供方取消了登录，或登录已过期、是在另一个浏览器中发起的',
  'the seller is disabled': '该卖家已被停用',
  'the IdP failed at the token or userinfo endpoint: try again shortly (with Retry-After)':
    '身份提供方的令牌端点或用户信息端点出错：请稍后重试（带 Retry-After）',
  'the sessions it names have ended (`Cache-Control: no-store`)':
    '登出令牌所指的会话已结束（`Cache-Control: no-store`）',
  '`invalid_request`: no logout_token, or one that is refused (`error_description` says why)':
    '`invalid_request`：没有 logout_token，或登出令牌被拒绝（`error_description` 说明原因）',
  '`temporarily_unavailable`: the IdP or its keys could not be reached (`Retry-After`)':
    '`temporarily_unavailable`：无法连接身份提供方或获取其密钥（`Retry-After`）',
  // Responses: the consoles
  'to the sign-in page when signed out': '未登录时跳转到登录页',
  'to /account': '跳转到 /account',
  'CSRF check failed (missing or foreign token, foreign Origin, or Sec-Fetch-Site cross-site)':
    'CSRF 校验未通过（令牌缺失或不属于本会话、Origin 不是本站，或 Sec-Fetch-Site 为 cross-site）',
  'the platform’s seller directory did not answer: sign-in is unavailable, try again shortly (with Retry-After)':
    '平台的卖家目录没有应答：暂时无法登录，请稍后重试（带 Retry-After）',
  'to /account/login': '跳转到 /account/login',
  'not this seller’s authorization': '不是该卖家的授权',
  'not this seller’s live authorization': '不是该卖家仍有效的授权',
  'not this seller’s authorization or store': '不是该卖家的授权或店铺',
  'new password too short, or the platform keeps this seller’s password': '新密码太短，或该卖家的密码由平台管理',
  'wrong current password': '当前密码错误',
  'to /console': '跳转到 /console',
  'username or password breaks the rules': '用户名或密码不符合要求',
  'username taken': '用户名已被占用',
  'to /console/login': '跳转到 /console/login',
  'the new sandbox seller’s credentials': '新沙箱卖家的账号和密码',
  'the app with its AppKey and AppSecret': '应用及其 AppKey 和 AppSecret',
  'a field is invalid': '有字段不正确',
  'the app': '应用页面',
  'not this developer’s app': '不是该开发者的应用',
  'the new AppSecret, shown once': '新的 AppSecret，只显示一次',
  'bad overlap': '过渡时长不正确',
  'to the app page': '跳转到应用页面',
  'a callback URL is not valid': '有回调地址不合法',
  'no such app of this developer': '该开发者没有这个应用',
  'to the app': '跳转到应用页面',
  'not one of the values, or the profile has no client-side flow': '不是可选值之一，或本平台没有客户端模式',
  'an unknown topic': '未知的消息主题',
  'the app, saying how many were queued': '应用页面，显示已放入队列的条数',
  'to /admin/login/code once TOTP is enrolled, else to /admin/login/enrol (docs/adr/0161)':
    '已绑定 TOTP 时跳转到 /admin/login/code，否则跳转到 /admin/login/enrol（docs/adr/0161）',
  'to /admin': '跳转到 /admin',
  'wrong or used code, or the password step expired': '动态码错误或已用过，或密码这一步已过期',
  'locked out': '已被锁定',
  'the recovery codes, shown once': '恢复码，只显示一次',
  'wrong code, or the password step expired': '动态码错误，或密码这一步已过期',
  'to /admin/login': '跳转到 /admin/login',
  'bad status': '状态不正确',
  'no such app': '没有这个应用',
  'no such live token': '没有这个有效的令牌',
  'to /admin?done=rejected': '跳转到 /admin?done=rejected',
  'no reason, or longer than 500 characters': '没有填写理由，或超过 500 个字符',
  'the app is not in review': '该应用不在审核中',
  'to /admin/subscriptions': '跳转到 /admin/subscriptions',
  'a value is invalid': '有值不正确',
  'no such app or seller': '没有这个应用或卖家',
  'the seller already has an active subscription to the app': '该卖家已有这个应用的有效订购',
  'bad time': '时间不正确',
  'no such subscription': '没有这个订购',
  'the subscription was cancelled': '该订购已取消',
  'bad purchase URL': '购买链接不正确',
  'the new-password form': '设置新密码的表单',
  'the link is invalid, used or expired': '链接无效、已使用或已过期',
  'to /account/login?done=password-reset': '跳转到 /account/login?done=password-reset',
  'the link is invalid, used or expired, or the password is shorter than 8 characters (the link then still works)':
    '链接无效、已使用或已过期，或密码少于 8 个字符（此时链接仍然有效）',
  'the link, shown once': '重置链接，只显示一次',
  'to /admin/login when signed out': '未登录时跳转到 /admin/login',
  'no such seller': '没有这个卖家',
  'the seller signs in through the platform’s account system': '该卖家通过平台的账号体系登录',
  // Responses: the management API
  'invalid request: a bad or unknown field, a bad query value or cursor':
    '请求不正确：字段错误或未知、查询参数或游标不正确',
  'no valid operator API token': '没有有效的运营 API 令牌',
  'the token is read-only': '该令牌只读',
  'no such resource': '资源不存在',
  'the username is taken': '用户名已被占用',
  'no such operator': '没有这个运营人员',
};

/**
 * The Chinese of every operation Shouquan can document, keyed `METHOD /openapi/path` (as in
 * `/openapi.json`). Built per server, like the English: some paths and wordings depend on the profile.
 */
export function operationsZh(ctx: HttpContext): Map<string, OperationZh> {
  const { profile } = ctx.core;
  const choice = profile.scopeChoice;
  const idName = profile.params.clientId[0] ?? 'client_id';
  const zh = new Map<string, OperationZh>();
  const add = (key: string, op: OperationZh) => zh.set(key, op);

  add(`GET ${profile.paths.authorize}`, {
    summary: '授权请求（RFC 6749 §4.1.1）',
    description: `校验请求后，把卖家的浏览器带到登录页并选择店铺。${idName} 不存在，或 redirect_uri 与应用登记的回调地址不符时显示错误页（400），绝不跳转；其他错误带着 \`error\`、\`error_description\`、\`state\` 和 \`iss\`（RFC 9207）返回回调地址。`,
    parameters: {
      response_type: profile.authorize.responseTypes.join(' 或 '),
      [idName]: `应用的 AppKey${profile.params.clientId.length > 1 ? `（也可用 ${profile.params.clientId.slice(1).join('、')}）` : ''}`,
      scope: `以空格分隔，限于应用已有的权限；默认 \`${profile.authorize.defaultScope}\`${
        choice
          ? `。授权确认页把每个权限包（${Object.keys(profile.scopes)
              .filter((k) => !(k in (choice.bundles ?? {})))
              .map((k) => `\`${k}\``)
              .join(
                '、',
              )}）列为复选框；令牌响应中的 \`scope\` 是卖家保留勾选的部分（\`${choice.alwaysGranted.join(' ')}\` 始终包含）`
          : ''
      }`,
    },
  });
  add('GET /oauth/interaction/{id}', {
    summary: '卖家登录页或授权确认页',
    description:
      '登录表单（`username`、`password`、`csrf_token`），登录后为授权确认表单（`store_id`、`decision` = approve | deny）。无需 JavaScript。',
  });
  add('POST /oauth/interaction/{id}/login', { summary: '卖家登录（表单提交）' });
  add('POST /oauth/interaction/{id}/consent', { summary: '卖家确认授权（表单提交）' });

  add('POST /oauth/interaction/{id}/oidc', {
    summary: '用平台账号登录：跳转到平台的 OpenID Connect 身份提供方（配置 --seller-oidc-issuer 时）',
  });
  add('POST /account/login/oidc', {
    summary: '卖家中心：在平台的 OpenID Connect 身份提供方用平台账号登录（配置 --seller-oidc-issuer 时）',
  });
  add('GET /oauth/seller-oidc/callback', {
    summary: '平台身份提供方把卖家送回的地址（登记为回调地址）',
    description:
      '用 PKCE 校验码换取令牌，并校验 state、nonce 和 ID 令牌；按 `sub` 创建或更新卖家，按 `stores` 声明创建或更新店铺，开始卖家会话，然后回到授权请求或卖家中心。',
  });
  add('POST /oauth/seller-oidc/backchannel-logout', {
    summary: 'OpenID Connect 后端通道登出 1.0：平台身份提供方结束登出令牌所指的卖家会话',
    description:
      '在身份提供方把它登记为客户端的 `backchannel_logout_uri`（并设置 `backchannel_logout_session_required`）。`logout_token` 须由身份提供方 JWKS 中的密钥签名、签发方为该身份提供方、受众为本客户端、签发于 5 分钟内，包含后端通道登出事件、未出现过的 `jti`、`sub` 和/或 `sid`，且不含 `nonce`。带 `sid` 时结束在该身份提供方会话中开始的会话；只有 `sub` 时结束该卖家的所有会话。',
  });

  const grantTypes = profile.token.grantTypes;
  const grace = ctx.core.lifetimes.refreshGrace;
  const rotation = !grantTypes.includes('refresh_token')
    ? undefined
    : !profile.refresh.rotate
      ? 'refresh_token：刷新令牌保持有效（不轮换）。'
      : grace > 0
        ? `refresh_token：每次刷新都会换发新的刷新令牌；轮换后 ${grace} 秒内、新刷新令牌尚未使用时，再次提交旧的刷新令牌会得到完全相同的新令牌（\`expires_in\` 继续倒数；并发请求亦然）；否则重复使用会撤销整个授权（docs/security.md#refresh-grace-window）。`
        : 'refresh_token：每次刷新都会换发新的刷新令牌；再次提交已轮换的刷新令牌会撤销整个授权（RFC 9700 §4.14.2）。';
  add(`POST ${profile.paths.token}`, {
    summary: '令牌端点（RFC 6749 §3.2）：authorization_code 与 refresh_token 授权类型',
    ...(rotation ? { description: rotation } : {}),
  });
  const getGrants = Object.entries(profile.token.methods)
    .filter(([, m]) => m.includes('GET'))
    .map(([g]) => g);
  add(`GET ${profile.paths.token}`, {
    summary:
      getGrants.length > 0
        ? `以 GET 调用令牌端点，按本平台文档的做法（${getGrants.join('、')}）`
        : '以 GET 调用令牌端点：本平台不支持，返回 400（请用 POST）',
    description: '建议用 POST：GET 会把密钥放进 URL（日志、代理、浏览器历史都会留下）。Shouquan 自己的日志会把它隐去。',
  });
  add(`POST ${profile.paths.revoke}`, { summary: '撤销令牌（RFC 7009）；撤销刷新令牌会结束整个授权' });
  add(`POST ${profile.paths.introspect}`, { summary: '令牌内省（RFC 7662）；应用只能查询自己的令牌' });
  add('GET /.well-known/oauth-authorization-server', { summary: '当前平台配置下的授权服务器元数据（RFC 8414）' });
  add('GET /api/v1/store', {
    summary: '访问令牌被授权的一个店铺：`store_id` 指定的那个，或令牌唯一的店铺',
  });

  const prefix = profile.gateway?.methodPrefix ?? 'shouquan';
  const methodList = gatewayMethods
    .map((m) => {
      const args = Object.entries(argsOf(m))
        .map(([n, p]) => `${n}${p.required ? '*' : ''}`)
        .join(', ');
      const summary = m.summaryZh ?? m.summary;
      return `- \`${prefix}.${m.name}\`${m.permission ? `（${m.permission}）` : ''}：${summary}${args ? `。参数：${args}` : ''}`;
    })
    .join('\n');
  const router: OperationZh = {
    summary: '签名 API 路由（TOP 约定）',
    description: `公共参数加上方法自己的参数（* 为必填），用 AppSecret 签名。返回 \`{ "<方法名中的点换成下划线>_response": {…} }\` 或 \`{ "error_response": { code, msg, sub_code, sub_msg, request_id } }\`。\n\n${methodList}`,
  };
  add('GET /router/rest', router);
  add('POST /router/rest', router);
  for (const m of gatewayMethods) {
    if (!m.rest) continue;
    const summary = m.summaryZh;
    if (summary)
      add(`${m.rest.method} ${m.rest.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`, {
        summary: `${summary}（\`${prefix}.${m.name}\`）`,
      });
  }

  add('GET /api/v1/messages', {
    summary: '消息服务：拉取应用的消息（长轮询），最早的在前，同一店铺内按发布顺序',
    description:
      '每条消息在可见性超时（`serve --message-visibility-seconds`，60 秒）内对其他消费者隐藏；到时未确认会再次投递（至少一次：请按 `id` 去重）。' +
      '设置了 Webhook 地址的应用改为接收签名推送。主题见 `Topic` 结构和 docs/gateway.md#message-service。',
  });
  add('POST /api/v1/messages/ack', { summary: '消息服务：确认消息（确认后不再投递）' });
  add('GET /healthz', { summary: '存活检查：服务就绪后返回 200' });
  add('GET /readyz', { summary: '就绪检查：数据库可用时返回 200，否则 503' });
  add('GET /metrics', { summary: 'Prometheus 监控指标' });
  add('GET /assets/shouquan.css', { summary: '页面样式表' });
  add('GET /openapi.json', { summary: '本 OpenAPI 3.1 文档' });
  add('GET /docs', { summary: 'API 参考（网页版）' });
  add('GET /sandbox/callback', { summary: '仅沙箱：演示应用的回调地址，显示授权码和用它换取令牌的 curl 命令' });
  add('GET /sandbox/clock', { summary: '仅沙箱：服务器的时钟' });
  add('POST /sandbox/clock', {
    summary: '仅沙箱：把服务器时钟往后拨，所有过期判断都随之变化（授权码、令牌、订购、额度）',
    description: '未开启 `--sandbox` 时返回 404。时钟只进不退（重启服务器即恢复真实时间）。',
  });

  // The consoles (src/server/openapi/console-docs.ts).
  add('GET /assets/console.css', { summary: '控制台样式表' });
  add('GET /account/login', { summary: '卖家登录页' });
  add('POST /account/login', {
    summary: '卖家登录（与授权页面共用同一会话；配置 `serve --seller-directory` 时由平台的卖家目录校验）',
  });
  add('POST /account/logout', { summary: '卖家退出登录' });
  add('GET /account', { summary: '卖家授权过的应用（店铺、权限、授权时间、最近使用）' });
  add('GET /account/reset-password', { summary: '通过运营人员签发的一次性重置链接设置新密码（docs/adr/0126）' });
  add('POST /account/reset-password', { summary: '使用重置链接：设置新密码并结束该卖家的所有会话，链接随即失效' });
  add('POST /account/authorizations/{grantId}/revoke', { summary: '撤销一项授权：其令牌立即失效' });
  add('POST /account/authorizations/{grantId}/scope', {
    summary: '缩小授权范围：保留仍勾选的权限包（`scope`，可重复），其余从授权及其所有有效令牌中收回',
  });
  add('POST /account/authorizations/{grantId}/stores/{storeId}/remove', {
    summary: '从覆盖多个店铺的授权中移除一个店铺：应用不能再访问它；移除最后一个店铺即撤销整个授权',
  });
  add('POST /account/password', { summary: '修改密码：结束所有会话；`revoke_all=1` 同时撤销所有授权' });
  add('GET /console/signup', { summary: '开发者注册页' });
  add('POST /console/signup', { summary: '注册开发者账号（与卖家账号分开）' });
  add('GET /console/login', { summary: '开发者登录页' });
  add('POST /console/login', { summary: '开发者登录' });
  add('POST /console/logout', { summary: '开发者退出登录' });
  add('GET /console', { summary: '开发者的应用和沙箱卖家' });
  add('POST /console/sandbox-sellers', { summary: '创建沙箱卖家（密码只显示一次）' });
  add('GET /console/apps/new', { summary: '创建应用表单' });
  add('POST /console/apps', { summary: '创建应用，状态为 `testing`；AppSecret 只显示一次' });
  add('GET /console/apps/{appKey}', { summary: '应用详情：状态、已授权的卖家、授权链接、密钥轮换' });
  add('POST /console/apps/{appKey}/rotate', {
    summary: '轮换 AppSecret；旧密钥在 `overlap_hours` 小时内仍可用（默认 24，0 表示立即作废）',
  });
  add('POST /console/apps/{appKey}/callbacks', { summary: '修改应用的回调地址（记入审计日志，立即生效）' });
  add('POST /console/apps/{appKey}/topics', {
    summary: '应用订阅的消息服务主题（提交完整列表；见 docs/gateway.md#message-service）',
  });
  add('POST /console/apps/{appKey}/sample-events', {
    summary: '沙箱：为应用已订阅的每个主题生成示例事件，范围是开发者的沙箱卖家中已授权该应用的店铺，只发给本应用',
  });
  add('POST /console/apps/{appKey}/fragment-redirect', {
    summary:
      '客户端模式（`response_type=token`）可把本应用的令牌放在片段中发往何处（仅限支持该模式的平台；docs/adr/0116）',
  });
  add('POST /console/apps/{appKey}/end-previous', { summary: '立即停用上一个 AppSecret' });
  add('POST /console/apps/{appKey}/submit', { summary: '把测试中的应用提交审核' });
  add('GET /admin/login', { summary: '运营人员登录页' });
  add('POST /admin/login', { summary: '运营人员登录第一步（账号由 `shouquan operator create` 创建）：密码' });
  add('GET /admin/login/code', {
    summary: '运营人员登录第二步：TOTP 动态码或恢复码（须先在同一浏览器中完成密码这一步）',
  });
  add('POST /admin/login/code', {
    summary: '校验 TOTP 动态码（RFC 6238，允许前后各一个时间步，每步只能用一次）或一次性恢复码；输错计入锁定次数',
  });
  add('GET /admin/login/enrol', { summary: '首次登录时绑定 TOTP：显示 otpauth:// 链接和密钥（密钥加密存储）' });
  add('POST /admin/login/enrol', { summary: '输入动态码确认绑定：完成登录，并一次性显示十个恢复码' });
  add('POST /admin/logout', { summary: '运营人员退出登录' });
  add('GET /admin', { summary: '待审核的应用、卖家查询（`?seller=`）、审计日志' });
  add('POST /admin/sellers/{sellerId}/password-reset', {
    summary: '为内置账号的卖家签发一次性密码重置链接（只显示一次；docs/adr/0126）',
  });
  add('POST /admin/apps/{appKey}/status', { summary: '通过、暂停或恢复应用（暂停的应用其令牌立即失效）' });
  add('GET /admin/apps/{appKey}', {
    summary: '一个待审核的应用：回调地址、权限包、权限范围、额度；可通过、附理由退回、暂停（docs/adr/0162）',
  });
  add('POST /admin/apps/{appKey}/reject', {
    summary: '把已提交的应用退回给开发者，附上开发者能在控制台看到的理由（状态回到测试中；记入审计日志）',
  });
  add('GET /admin/sellers', { summary: '卖家列表，可搜索（`q`）、分页（`cursor`）' });
  add('GET /admin/sellers/{sellerId}', {
    summary: '运营视角下的一个卖家：账号、店铺、持有其授权的应用、密码重置链接',
  });
  add('GET /admin/audit', { summary: '以文字呈现的审计日志，可筛选（`action`、`actor`）、分页（`cursor`）' });
  add('GET /admin/subscriptions', {
    summary:
      '卖家的订购（筛选 `app_key`、`seller_id`、`status`、`cursor`）、登记表单，以及要求订购的应用（docs/adr/0140）',
  });
  add('POST /admin/subscriptions', { summary: '登记卖家对某个应用的订购（记入审计日志）' });
  add('POST /admin/subscriptions/{id}/renew', {
    summary: '调整订购的到期时间（有效授权在下次刷新时生效；提前到期会立即限制令牌的有效期）',
  });
  add('POST /admin/subscriptions/{id}/cancel', { summary: '立即结束订购：卖家给该应用的令牌立即失效' });
  add('POST /admin/apps/{appKey}/subscription', { summary: '卖家授权该应用前是否须先订购，以及去哪里购买' });
  add('POST /admin/operator-tokens/{tokenId}/revoke', {
    summary: '撤销一个管理 API 令牌（此后使用它一律返回 401；记入审计日志）',
  });

  // The management API (src/management/api/).
  const api = '/admin/api/v1';
  add(`GET ${api}/apps`, {
    summary: '列出应用，可按状态筛选、可搜索',
    description: '`q` 匹配应用名称或 AppKey 的一部分，不区分大小写。按 AppKey 排序。',
  });
  add(`POST ${api}/apps`, { summary: '登记应用；返回其 app_key 和 app_secret（只显示一次）' });
  add(`GET ${api}/apps/{app_key}`, { summary: '查看应用' });
  add(`PATCH ${api}/apps/{app_key}`, {
    summary: '修改应用：名称、回调地址、状态、权限范围、权限包、额度、Webhook、是否要求订购、消息主题',
    description:
      '只修改传入的字段。修改在本节点立即生效，在其他节点上于应用缓存时限（默认 1 秒）内生效。' +
      '`status: suspended` 立即拒绝该应用的令牌请求和 API 调用；`live` 恢复应用（对审核中的应用即为通过）。',
  });
  add(`POST ${api}/apps/{app_key}/rotate-secret`, {
    summary: '为应用换发新密钥（只显示一次）；旧密钥在 overlap_hours 小时内仍可用',
    description:
      '令牌端点、撤销端点、内省端点和签名 API 调用都一样（docs/adr/0060）。`overlap_hours` 为 0 时旧密钥立即停用（用于密钥泄露）。',
  });
  add(`GET ${api}/sellers`, {
    summary: '列出卖家，可搜索',
    description: '`q` 匹配用户名的一部分，不区分大小写。按 seller_id 排序。',
  });
  add(`POST ${api}/sellers`, {
    summary: '创建卖家及其店铺',
    description: '密码以 argon2id 哈希存储。不设密码时，卖家须先通过重置链接设置密码才能登录。',
  });
  add(`GET ${api}/sellers/{seller_id}`, { summary: '查看卖家及其店铺' });
  add(`PATCH ${api}/sellers/{seller_id}`, { summary: '停用或启用卖家；新增店铺或修改店铺名称' });
  add(`POST ${api}/sellers/{seller_id}/password-reset`, {
    summary: '为内置账号的卖家签发一次性密码重置链接',
    description:
      '链接（256 位，只存其 SHA-256）只能用一次，并使之前签发的链接失效；使用后该卖家在所有地方退出登录。卖家不存在时返回 404，卖家的密码由平台账号体系管理时返回 409（docs/adr/0126）。',
  });
  add(`GET ${api}/grants`, {
    summary: '列出某个应用、某个卖家或两者共同的授权',
    description: '最新的在前。`status` 为 live 或 revoked（默认两者都有）。',
  });
  add(`DELETE ${api}/grants/{grant_id}`, {
    summary: '撤销授权：其令牌立即失效，并通过 Webhook 通知应用',
    description: '返回已撤销的授权（`revoked_reason: revoked_by_operator`）。撤销已撤销的授权不会有任何变化。',
  });
  add(`GET ${api}/subscriptions`, {
    summary: '列出某个应用、某个卖家或两者共同的订购',
    description: '最新的在前。`status` 为 active 或 ended（已到期或已取消；默认两者都有）。',
  });
  add(`POST ${api}/subscriptions`, {
    summary: '登记卖家对某个应用的订购',
    description:
      '对设置了 `require_subscription` 的应用，卖家在 `expires_at` 之前可以授权，其令牌的有效期也不会超过它。每个卖家对每个应用只能有一个有效订购（否则返回 409：请续订）。',
  });
  add(`GET ${api}/subscriptions/{subscription_id}`, { summary: '查看订购' });
  add(`POST ${api}/subscriptions/{subscription_id}/renew`, {
    summary: '调整订购的到期时间：有效授权在下次刷新时获得新的到期时间，无需卖家重新授权',
    description: '提前到期会立即限制卖家现有令牌的有效期。已取消的订购不能续订（409）。',
  });
  add(`POST ${api}/subscriptions/{subscription_id}/cancel`, {
    summary: '立即结束订购：卖家给该应用的令牌立即失效',
    description:
      '内省返回 `active:false`，API 调用得到 code 27 / 401，应用收到 `subscription.expired`（原因 `cancelled`）。重复取消不会有任何变化。',
  });
  add(`GET ${api}/audit`, {
    summary: '读取审计日志，最新的在前',
    description:
      '`action`：完整的操作名（`grant.revoked`）或前缀（`grant.*`）；`actor`：精确匹配（`token:deploy`、`cli`）；`since`：RFC 3339 时间或毫秒时间戳。',
  });
  add(`POST ${api}/operators/{username}/reset-totp`, {
    summary: '重置运营人员的身份验证器：下次登录时重新设置',
    description:
      '清除 TOTP 密钥和恢复码，并结束该运营人员在 /admin 的所有会话（手机丢失且恢复码已用完时使用）。记入审计日志 `console.operator_totp_reset`。对应的命令行是 `shouquan operator reset-totp --username U`。',
  });
  add(`POST ${api}/events`, {
    summary: '发布业务事件（每批最多 1,000 条），发给有权接收的应用',
    description:
      `主题：${PUBLISHABLE_TOPICS.join(', ')}。事件只发给同时满足以下条件的应用：订阅了该主题、持有该卖家覆盖该店铺的有效授权、并被授予了该主题所需的权限包；其他应用都收不到。` +
      '所有事件及其按应用分发的队列记录在同一个事务中持久化后才返回：要么全部成功，要么全部失败。`event_ids` 与提交的顺序一致。',
  });
  return zh;
}

/** An operation's words on the Chinese page, and what has no Chinese (English shows instead; a test keeps it empty). */
export function translateOperation(
  zh: Map<string, OperationZh>,
  key: string,
  op: DocOperationText,
): {
  summary: string;
  description?: string;
  parameter: (name: string, english?: string) => string | undefined;
  response: (english: string) => string;
  missing: string[];
} {
  const t = zh.get(key);
  const missing: string[] = [];
  if (!t) missing.push(`${key}: summary`);
  if (op.description && !t?.description) missing.push(`${key}: description`);
  const parameter = (name: string, english?: string) =>
    english === undefined ? undefined : (t?.parameters?.[name] ?? PHRASES_ZH[english] ?? english);
  for (const p of op.parameters ?? [])
    if (p.description !== undefined && t?.parameters?.[p.name] === undefined && PHRASES_ZH[p.description] === undefined)
      missing.push(`${key}: parameter ${p.name} “${p.description}”`);
  const response = (english: string) => (english === op.summary && t ? t.summary : (PHRASES_ZH[english] ?? english));
  for (const [status, r] of Object.entries(op.responses))
    if (response(r.description) === r.description) missing.push(`${key}: response ${status} “${r.description}”`);
  return {
    summary: t?.summary ?? op.summary,
    ...(op.description ? { description: t?.description ?? op.description } : {}),
    parameter,
    response,
    missing,
  };
}
