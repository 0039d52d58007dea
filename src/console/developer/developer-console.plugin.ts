import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createSeller } from '../../admin.js';
import {
  createApp,
  endPreviousSecret,
  loadAppDetails,
  MAX_OVERLAP_HOURS,
  rotateAppSecret,
  setAppStatus,
  updateApp,
  callbackUrlProblem,
  type CallbackProblem,
} from '../../apps/apps.js';
import { hashPassword, verifyPassword } from '../../crypto/password.js';
import { randomToken } from '../../crypto/tokens.js';
import { authorizeUrlFor } from '../app-policy.js';
import { doneParam, frame, scopeWords } from '../frame.js';
import { audit, currentAccount, endSession, field, PageError, startAccountSession } from '../web-kit.js';
import { loginGuard } from '../login-guard.js';
import { installSignIn, PAGE, SIGNED_OUT } from '../sign-in.js';
import { DuplicateError } from '../../storage/ports.js';
import { TOPICS, TopicError, validateTopics } from '../../messages/topics.js';
import type { AppDetails, WebAccount } from '../../storage/console-ports.js';
import { seeOther, sendPage, type HttpContext } from '../../server/http-context.js';
import { ct } from '../../server/pages/console-i18n.js';
import { credentialsPage } from '../console-pages.js';
import { appPage, consoleHomePage, newAppPage } from './developer-pages.js';

/** A callback URL's problem in the page's words. */
const callbackWords = (m: ReturnType<typeof ct>, p: CallbackProblem) =>
  p === 'not_absolute'
    ? m.callbackNotAbsolute
    : p === 'scheme'
      ? m.callbackScheme
      : p === 'fragment'
        ? m.callbackFragment
        : m.callbackUserinfo;

const USERNAME_RULE = /^[\p{L}\p{N}_.@-]{3,64}$/u;
/** Calls listed on an app's page, and error kinds counted. */
const RECENT_CALLS = 20;
const TOP_ERRORS = 5;
/** Message deliveries listed on an app's page. */
const RECENT_DELIVERIES = 10;

/** Where the developer console lives. */
export const DEVELOPER_CONSOLE_PREFIX = '/console';

/**
 * The developer console (`/console`): developer accounts apart from sellers, apps with the
 * AppSecret shown once (stored as a keyed hash, docs/adr/0003), secret rotation with an
 * overlap window (docs/adr/0060), submission for review, sandbox sellers.
 *
 * An encapsulated Fastify plugin registered under {@link DEVELOPER_CONSOLE_PREFIX}: its sign-in hook
 * (src/console/sign-in.ts) checks every POST's CSRF token and sends a browser without a developer
 * session to `/console/login`, except on the sign-up, sign-in and sign-out routes.
 */
export async function developerConsolePlugin(app: FastifyInstance, opts: { ctx: HttpContext }): Promise<void> {
  const { ctx } = opts;
  const { core } = ctx;
  const signIn = installSignIn<WebAccount>(app, ctx, {
    name: 'developer',
    loginPath: '/console/login',
    find: (request) => currentAccount(ctx, request, 'developer'),
  });

  async function ownApp(
    request: FastifyRequest<{ Params: { appKey: string } }>,
    dev: WebAccount,
    lang: Parameters<typeof ct>[0],
  ): Promise<AppDetails> {
    const details = await loadAppDetails(core.storage, request.params.appKey);
    if (!details || details.developerId !== dev.accountId)
      throw new PageError(404, ct(lang).appNotFound, 'app not found or not this developer');
    return details;
  }

  const scopeChoices = (lang: Parameters<typeof ct>[0]) =>
    Object.keys(core.profile.scopes).map((name) => ({ name, words: scopeWords(ctx, lang)(name) }));

  async function renderApp(
    request: FastifyRequest,
    reply: FastifyReply,
    dev: WebAccount,
    details: AppDetails,
    extra: { secret?: string; notice?: string; error?: string; status?: number } = {},
  ) {
    const f = frame(ctx, request, reply, 'console');
    const grantCount = await core.storage.console.liveGrantCount(details.appKey);
    const authorizeUrl = authorizeUrlFor(core.issuer, core.profile, details.appKey, details.callbackUrls[0] ?? '');
    // Recent gateway calls (written in batches, docs/adr/0062): the last day's counts and the newest calls.
    const log = core.storage.gateway?.calls;
    const calls = log && {
      day: await log.summary(details.appKey, core.now() - 86_400_000, TOP_ERRORS),
      recent: await log.recent(details.appKey, RECENT_CALLS),
    };
    // The message service (issue 16 §2): topics, backlog, failures, last deliveries.
    const settings = await core.storage.gateway?.apps.find(details.appKey);
    const messages = ctx.messages && {
      topics: settings?.topics ?? [],
      catalogue: TOPICS.filter((t) => t.publisher === 'platform').map((t) => ({
        name: t.name,
        description: t.description,
        package: t.package,
      })),
      stats: await ctx.messages.stats(details.appKey, RECENT_DELIVERIES),
      push: !!settings?.webhookUrl,
    };
    return sendPage(
      reply,
      extra.status ?? 200,
      appPage({
        ...f,
        notice: extra.notice,
        error: extra.error,
        user: { name: dev.username, logoutAction: '/console/logout', csrf: f.csrf },
        app: details,
        grantCount,
        authorizeUrl,
        secret: extra.secret,
        scopeWords: scopeWords(ctx, f.lang),
        calls,
        clientSideFlow: core.profile.authorize.responseTypes.includes('token')
          ? { profileDefault: core.profile.authorize.fragmentRedirect ?? 'redirect-rule' }
          : undefined,
        messages,
      }),
    );
  }

  // Sign up and log in.
  app.get('/signup', SIGNED_OUT, async (request, reply) => {
    const f = frame(ctx, request, reply, 'console');
    const m = ct(f.lang);
    return sendPage(
      reply,
      200,
      credentialsPage({
        ...f,
        title: m.signUp,
        sub: m.consoleSignUpSub,
        action: '/console/signup',
        submit: m.signUp,
        signup: true,
        alt: { text: m.haveAccount, href: '/console/login', label: m.signIn },
      }),
    );
  });

  app.post('/signup', SIGNED_OUT, async (request, reply) => {
    const form = signIn.form(request);
    const f = frame(ctx, request, reply, 'console');
    const m = ct(f.lang);
    const username = field(form, 'username');
    const password = form.get('password')?.[0] ?? '';
    const again = (status: number, error: string) =>
      sendPage(
        reply,
        status,
        credentialsPage({
          ...f,
          error,
          username,
          title: m.signUp,
          sub: m.consoleSignUpSub,
          action: '/console/signup',
          submit: m.signUp,
          signup: true,
          alt: { text: m.haveAccount, href: '/console/login', label: m.signIn },
        }),
      );
    if (!USERNAME_RULE.test(username)) return again(400, m.usernameRule);
    if (password.length < 8) return again(400, m.passwordRule);
    let account: WebAccount;
    try {
      account = await core.storage.console.createAccount({
        realm: 'developer',
        username,
        passwordHash: await hashPassword(password),
        createdAt: core.now(),
      });
    } catch (e) {
      if (e instanceof DuplicateError) return again(409, m.usernameTaken);
      throw e;
    }
    await startAccountSession(ctx, request, reply, account);
    await audit(ctx, { actor: `developer:${username}`, event: 'console.developer_signup' });
    return seeOther(reply, '/console');
  });

  app.get('/login', SIGNED_OUT, async (request, reply) => {
    const f = frame(ctx, request, reply, 'console');
    if (await currentAccount(ctx, request, 'developer')) return seeOther(reply, '/console');
    const m = ct(f.lang);
    return sendPage(
      reply,
      200,
      credentialsPage({
        ...f,
        title: m.signIn,
        sub: m.consoleSignInSub,
        action: '/console/login',
        submit: m.signIn,
        alt: { text: m.noAccount, href: '/console/signup', label: m.signUp },
      }),
    );
  });

  app.post('/login', SIGNED_OUT, async (request, reply) => {
    const form = signIn.form(request);
    const f = frame(ctx, request, reply, 'console');
    const m = ct(f.lang);
    const username = field(form, 'username');
    const again = (status: number, error: string) =>
      sendPage(
        reply,
        status,
        credentialsPage({
          ...f,
          error,
          username,
          title: m.signIn,
          sub: m.consoleSignInSub,
          action: '/console/login',
          submit: m.signIn,
          alt: { text: m.noAccount, href: '/console/signup', label: m.signUp },
        }),
      );
    const guard = loginGuard(ctx, request, 'developer', username);
    const waitBefore = await guard.waitBefore();
    if (waitBefore > 0) return again(429, guard.locked(reply, waitBefore, f.lang));
    const account = username ? await core.storage.console.findAccount('developer', username) : undefined;
    const ok = await verifyPassword(account?.passwordHash, form.get('password')?.[0] ?? '');
    if (!account || !ok) {
      request.log.info({ username }, 'developer login failed');
      const waitAfter = await guard.failed();
      return waitAfter > 0 ? again(429, guard.locked(reply, waitAfter, f.lang)) : again(401, m.wrongPassword);
    }
    await guard.succeeded();
    await startAccountSession(ctx, request, reply, account);
    return seeOther(reply, '/console');
  });

  app.post('/logout', SIGNED_OUT, async (request, reply) => {
    await endSession(ctx, request, reply, 'developer');
    return seeOther(reply, '/console/login');
  });

  // Home: apps and sandbox sellers.
  app.get('', PAGE, async (request, reply) => {
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const apps = await core.storage.console.appsOfDeveloper(dev.accountId);
    const sandboxSellers = await core.storage.console.sandboxSellersOf(dev.accountId);
    return sendPage(
      reply,
      200,
      consoleHomePage({
        ...f,
        user: { name: dev.username, logoutAction: '/console/logout', csrf: f.csrf },
        apps,
        sandboxSellers,
      }),
    );
  });

  app.post('/sandbox-sellers', PAGE, async (request, reply) => {
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const username = `sbx-${dev.accountId}-${randomToken('hex32').slice(0, 6)}`;
    const password = randomToken('hex32').slice(0, 16);
    const created = await createSeller(core.storage, {
      username,
      password,
      stores: ['Sandbox Store A', 'Sandbox Store B'],
      now: core.now(),
    });
    await core.storage.console.addSandboxSeller(created.sellerId, dev.accountId);
    await audit(ctx, {
      actor: `developer:${dev.username}`,
      event: 'console.sandbox_seller_created',
      sellerId: created.sellerId,
      subject: username,
    });
    const apps = await core.storage.console.appsOfDeveloper(dev.accountId);
    const sandboxSellers = await core.storage.console.sandboxSellersOf(dev.accountId);
    return sendPage(
      reply,
      201,
      consoleHomePage({
        ...f,
        user: { name: dev.username, logoutAction: '/console/logout', csrf: f.csrf },
        apps,
        sandboxSellers,
        created: { username, password },
      }),
    );
  });

  // Create an app (status `testing`); the secret is shown on the answer to this POST only.
  app.get('/apps/new', PAGE, async (request, reply) => {
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    return sendPage(
      reply,
      200,
      newAppPage({
        ...f,
        user: { name: dev.username, logoutAction: '/console/logout', csrf: f.csrf },
        scopes: scopeChoices(f.lang),
      }),
    );
  });

  app.post('/apps', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const m = ct(f.lang);
    const values = Object.fromEntries(
      ['name', 'description', 'logo_url', 'callback_urls', 'webhook_url'].map((k) => [k, field(form, k)]),
    );
    const chosen = (form.get('scope') ?? []).filter((s) => s in core.profile.scopes);
    const again = (error: string) =>
      sendPage(
        reply,
        400,
        newAppPage({
          ...f,
          error,
          user: { name: dev.username, logoutAction: '/console/logout', csrf: f.csrf },
          scopes: scopeChoices(f.lang),
          values,
          chosenScopes: chosen,
        }),
      );
    const name = values.name ?? '';
    if (name === '' || name.length > 80) return again(m.nameRequired);
    const callbacks = (values.callback_urls ?? '')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (callbacks.length === 0) return again(`${m.callbackUrls}: ${m.badUrl}`);
    // In the page's language (issue 14 §3): never the English message of the app module.
    for (const cb of callbacks) {
      const problem = callbackUrlProblem(cb);
      if (problem) return again(`${m.callbackUrls}: ${cb} ${callbackWords(m, problem)}`);
    }
    const isUrl = (u: string, httpsOnly: boolean) => {
      try {
        const p = new URL(u).protocol;
        return p === 'https:' || (!httpsOnly && p === 'http:');
      } catch {
        return false;
      }
    };
    if (values.logo_url && !isUrl(values.logo_url, true)) return again(`${values.logo_url} ${m.badUrl}`);
    if (values.webhook_url && !isUrl(values.webhook_url, false)) return again(`${values.webhook_url} ${m.badUrl}`);
    const scopes = chosen.length > 0 ? chosen : [core.profile.authorize.defaultScope];
    const created = await createApp(core.storage, core.secretKey, {
      name,
      callbacks,
      scopes,
      status: 'testing',
      now: core.now(),
    });
    await updateApp(
      core.storage,
      created.appKey,
      {
        developerId: dev.accountId,
        description: values.description || null,
        logoUrl: values.logo_url || null,
        ...(values.webhook_url ? { webhookUrl: values.webhook_url } : {}),
      },
      core.now(),
    );
    await audit(ctx, {
      actor: `developer:${dev.username}`,
      event: 'console.app_created',
      appKey: created.appKey,
      detail: { name },
    });
    const details = (await loadAppDetails(core.storage, created.appKey)) as AppDetails;
    return renderApp(request, reply, dev, details, { secret: created.appSecret, status: 201 });
  });

  app.get<{ Params: { appKey: string } }>('/apps/:appKey', PAGE, async (request, reply) => {
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const details = await ownApp(request, dev, f.lang);
    const done = doneParam(request);
    const m = ct(f.lang);
    const notice =
      done === 'submitted'
        ? m.submitted
        : done === 'previous-ended'
          ? m.previousEnded
          : done === 'callbacks'
            ? m.callbacksSaved
            : done === 'fragment-redirect'
              ? m.fragmentSaved
              : undefined;
    return renderApp(request, reply, dev, details, { notice });
  });

  // Rotate: a new secret now; the old one keeps working for the chosen window (0: revoked at once).
  app.post<{ Params: { appKey: string } }>('/apps/:appKey/rotate', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const m = ct(f.lang);
    const details = await ownApp(request, dev, f.lang);
    const raw = field(form, 'overlap_hours') || '24';
    const hours = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
    if (!(hours >= 0 && hours <= MAX_OVERLAP_HOURS))
      return renderApp(request, reply, dev, details, { status: 400, error: m.badHours });
    const secret = await rotateAppSecret(core.storage, core.secretKey, details.appKey, hours, core.now(), {
      actor: `developer:${dev.username}`,
    });
    request.log.info({ appKey: details.appKey, overlapHours: hours }, 'app secret rotated');
    const updated = (await loadAppDetails(core.storage, details.appKey)) as AppDetails;
    return renderApp(request, reply, dev, updated, { secret, notice: m.rotated });
  });

  // Edit the callback URLs: through the app module, audited, seen at once (docs/adr/0130).
  app.post<{ Params: { appKey: string } }>('/apps/:appKey/callbacks', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const m = ct(f.lang);
    const details = await ownApp(request, dev, f.lang);
    const callbacks = field(form, 'callback_urls')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = callbacks.find((cb) => callbackUrlProblem(cb) !== undefined);
    if (callbacks.length === 0)
      return renderApp(request, reply, dev, details, { status: 400, error: `${m.callbackUrls}: ${m.badUrl}` });
    if (bad !== undefined)
      return renderApp(request, reply, dev, details, {
        status: 400,
        error: `${m.callbackUrls}: ${bad} ${callbackWords(m, callbackUrlProblem(bad)!)}`,
      });
    await updateApp(core.storage, details.appKey, { callbacks }, core.now(), {
      actor: `developer:${dev.username}`,
      event: 'console.app_callbacks_changed',
      detail: { from: details.callbackUrls, to: callbacks },
    });
    return seeOther(reply, `/console/apps/${details.appKey}?done=callbacks`);
  });

  app.post<{ Params: { appKey: string } }>('/apps/:appKey/end-previous', PAGE, async (request, reply) => {
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const details = await ownApp(request, dev, f.lang);
    await endPreviousSecret(core.storage, details.appKey, core.now(), {
      actor: `developer:${dev.username}`,
      event: 'console.previous_secret_revoked',
    });
    return seeOther(reply, `/console/apps/${details.appKey}?done=previous-ended`);
  });

  // Where the client-side flow may send this app's tokens (docs/adr/0116, issue 15 finding 8).
  app.post<{ Params: { appKey: string } }>('/apps/:appKey/fragment-redirect', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const details = await ownApp(request, dev, f.lang);
    const value = field(form, 'fragment_redirect');
    if (
      !core.profile.authorize.responseTypes.includes('token') ||
      !['profile', 'exact-callback', 'redirect-rule'].includes(value)
    ) {
      return renderApp(request, reply, dev, details, { status: 400, error: ct(f.lang).badFragment });
    }
    await updateApp(
      core.storage,
      details.appKey,
      { fragmentRedirect: value === 'profile' ? null : (value as 'exact-callback' | 'redirect-rule') },
      core.now(),
      {
        actor: `developer:${dev.username}`,
        event: 'console.fragment_redirect_set',
        detail: { fragment_redirect: value },
      },
    );
    return seeOther(reply, `/console/apps/${details.appKey}?done=fragment-redirect`);
  });

  // The message service (issue 16 §2): the topics the app subscribes to.
  app.post<{ Params: { appKey: string } }>('/apps/:appKey/topics', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const details = await ownApp(request, dev, f.lang);
    let topics: string[];
    try {
      topics = validateTopics(form.get('topic') ?? []);
    } catch (e) {
      if (e instanceof TopicError) return renderApp(request, reply, dev, details, { status: 400, error: e.message });
      throw e;
    }
    await updateApp(core.storage, details.appKey, { topics }, core.now(), {
      actor: `developer:${dev.username}`,
      event: 'console.app_topics_changed',
      detail: { topics },
    });
    return seeOther(reply, `/console/apps/${details.appKey}?done=topics#messages`);
  });

  // Sandbox: sample events of the app's topics for this developer's sandbox sellers only.
  app.post<{ Params: { appKey: string } }>('/apps/:appKey/sample-events', PAGE, async (request, reply) => {
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const details = await ownApp(request, dev, f.lang);
    const sent = ctx.messages
      ? await ctx.messages.sample(
          details.appKey,
          async (sellerId) => (await core.storage.console.sandboxOwner(sellerId)) === dev.accountId,
        )
      : [];
    const en = f.lang === 'en';
    return renderApp(request, reply, dev, details, {
      notice:
        sent.length > 0
          ? en
            ? `${sent.length} sample event(s) queued for this app.`
            : `已为此应用发送 ${sent.length} 条示例消息。`
          : en
            ? 'No sample events: subscribe to topics first, and authorize the app as one of your sandbox sellers.'
            : '没有可发送的示例消息：请先订阅主题，并用沙箱卖家授权此应用。',
    });
  });

  app.post<{ Params: { appKey: string } }>('/apps/:appKey/submit', PAGE, async (request, reply) => {
    const dev = signIn.principal(request);
    const f = frame(ctx, request, reply, 'console');
    const details = await ownApp(request, dev, f.lang);
    if (details.status === 'testing') {
      await setAppStatus(core.storage, details.appKey, 'submitted', core.now(), {
        actor: `developer:${dev.username}`,
        event: 'console.app_submitted',
        detail: null,
      });
    }
    return seeOther(reply, `/console/apps/${details.appKey}?done=submitted`);
  });
}
