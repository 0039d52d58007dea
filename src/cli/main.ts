import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkSellerInput, createSeller } from '../admin.js';
import cluster from 'node:cluster';
import {
  SERVE_SETTINGS,
  DEFAULT_DATABASE_URL,
  parseCallRetention,
  resolveServeConfig,
  type ServeConfig,
  envDatabaseUrl,
} from '../config.js';
import { DuplicateError } from '../storage/ports.js';
import { builtinProfiles, getProfile } from '../profiles/registry.js';
import { MessageService } from '../messages/service.js';
import { buildServer, createCoreContext, loadSecretKey, openStorage, redactDbUrl } from '../runtime.js';
import { ensureSandbox, retireSandboxCredentials, type SandboxCredentials } from '../sandbox.js';
import { APP_GATEWAY_HELP, appGatewayCommand, loadGatewayOptions } from '../gateway/cli.js';
import { createWebAccount } from '../console/accounts.js';
import {
  issueRecoveryCodes,
  resetOperatorTotp,
  startTotpEnrolment,
  totpIssuerLabel,
} from '../console/operator-totp.js';
import type { Storage } from '../storage/ports.js';
import type { FastifyInstance } from 'fastify';
import { clusterWorkerSlot, runPrimary, tellPrimary, type WorkerMessage } from './serve-cluster.js';
import { purgeExpired, startJanitor } from '../janitor.js';
import {
  DatabaseNewerError,
  InvalidDatabaseUrlError,
  knownMigrations,
  migrateToLatest,
  migrationStatus,
  openDatabase,
  parseDatabaseUrl,
} from '../storage/kysely/database.js';
import { existsSync } from 'node:fs';
import { groupHelp, UsageError } from './cli-kit.js';
import { APP_HELP, APP_SUBCOMMANDS, appCommand } from './app.command.js';
import { SELLER_HELP, SELLER_SUBCOMMANDS, sellerCommand } from './seller.command.js';
import { GRANT_HELP, grantCommand } from './grant.command.js';
import { SUBSCRIPTION_HELP, subscriptionCommand } from './subscription.command.js';
import { EVENT_HELP, eventCommand } from './event.command.js';
import { AUDIT_HELP, auditCommand } from './audit.command.js';
import { OPERATOR_TOKEN_HELP, operatorTokenCommand } from './operator-token.command.js';
import { SELLER_RESET_PASSWORD_HELP, sellerResetPasswordCommand } from './seller-reset-password.command.js';
import { listenAdmin } from '../server/admin-listener.js';
import { perWorkerConnections } from '../server/connection-limits.js';
import { KEY_ROTATE_HELP, keyCommand } from './key.command.js';

import type { Out } from './cli-kit.js';
import { BACKUP_HELP, backupCommand } from './backup.command.js';
import { DOCTOR_HELP, doctorCommand } from './doctor.command.js';
import { CONFIG_PRINT_HELP, configCommand, serveFlagOptions } from './config.command.js';
import { loadServeConfig, urlHasPassword } from '../config-file.js';
import { startTracing, stopTracing } from '../tracing/tracing.js';
const stdio: Out = { log: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

const HELP: Record<string, string> = {
  backup: BACKUP_HELP,
  doctor: DOCTOR_HELP,
  config: CONFIG_PRINT_HELP,
  'config print': CONFIG_PRINT_HELP,
  main: `shouquan: OAuth 2.0 authorization server for e-commerce open platforms

Usage: shouquan <command> [flags]

Commands:
  serve            start the server (applies migrations first)
  migrate          create or upgrade the database schema
  app create       register an ISV app; prints its app_key and app_secret
  app list|show|update  list, show and change apps (callbacks, status, permissions, quotas, topics)
  app rotate-secret  give an app a new secret, the old one working for an overlap window
  app gateway      show or change an app's API gateway settings (webhook, permissions, quota)
  seller create    create a seller with stores
  seller list|show|update  list, show, disable or enable sellers; add or rename stores
  grant list|revoke  list sellers' grants; revoke one (its tokens stop at once)
  subscription create|renew|cancel|list|show  sellers' subscriptions to paid apps (tokens end with them)
  audit list       read the audit log, filtered by action, actor and time
  event publish|sample  publish a business event to the message service; sandbox sample events
  seller reset-password  issue a one-time password reset link for a built-in seller
  operator create  create an operator account for the /admin pages
  operator reset-totp  reset an operator's lost authenticator (enrol again at the next sign-in)
  operator token create|list|revoke  API tokens for the management API (/admin/api/v1/)
  key rotate       re-seal every AppSecret under a new server key (a key file outside the database)
  janitor          purge expired codes, tokens, sessions, interactions and old call records now
  backup           take an online, consistent copy of a SQLite database
  doctor           check settings, database, migrations, clock and secret key; say what to fix
  config print     show every serve setting in effect and where it came from (flag, env, file, default)
  help [command]   show help for a command

Every command takes --help and --json. Run "shouquan <command> --help" for its flags.`,
  serve: `Usage: shouquan serve [flags]

Start the authorization server. Flags override the environment variables shown, which override
the --config file (JSON or TOML, keys are the flag names: port = 7070), which overrides the
defaults. Secrets are never flag values nor config file values: give them in the environment or
in files (*-file settings). "shouquan config print" shows what is in effect and where it came from.

${SERVE_SETTINGS.map(([flag, env, what, def]) => `  --${flag.padEnd(18)} ${what} (env ${env}; default ${def})`).join('\n')}
  --json               print the start-up summary (and sandbox credentials) as one JSON line

Profiles: ${Object.keys(builtinProfiles).join(', ')}
GET /healthz answers 200 once the server is ready. SIGTERM drains in-flight requests and exits 0.
With --workers N, one primary process runs the migrations, then starts N workers that share the
port; it restarts a worker that dies, and on SIGTERM every worker drains before it exits 0
(docs/operations.md#workers).`,
  migrate: `Usage: shouquan migrate [--database URL] [--dry-run] [--json]

Create the database (SQLite) or its tables, or upgrade them to the latest schema. A database
that a newer version upgraded (a migration this version does not know) is refused (exit 2).
  --database URL   sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL; default ${DEFAULT_DATABASE_URL})
  --dry-run        list the pending migrations and change nothing (a missing SQLite file is not created)
  --json           print {"database","applied"}; with --dry-run {"database","exists","pending","applied","unknown"}`,
  'app gateway': APP_GATEWAY_HELP,
  'key rotate': KEY_ROTATE_HELP,
  janitor: `Usage: shouquan janitor [--database URL] [--batch-size N] [--grace SECONDS] [--call-retention DAYS] [--json]

Delete expired authorization codes, tokens, seller sessions, console sessions (developer and
operator) and interactions, revoked grants with no tokens left, expired failure counters, lockouts
and quota windows (shared_limits), and gateway call records and delivered webhook pushes older
than --call-retention days (a revoked grant's event once the grant is gone), in batches; and
clear the sealed successors of rotated refresh tokens whose grace window (--refresh-grace) ended.
"serve" also does this every --janitor-interval seconds.
The audit log is never purged.
  --database URL          sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL; default ${DEFAULT_DATABASE_URL})
  --batch-size N          rows per DELETE (default 5000)
  --grace SECONDS         keep rows this long past expiry (default 3600)
  --call-retention DAYS   keep gateway call records and delivered webhook pushes this many days, 1 to 366
                          (env SHOUQUAN_CALL_RETENTION; default 7)
  --message-retention-days DAYS  keep message service events this many days, 1 to 30 (env
                          SHOUQUAN_MESSAGE_RETENTION_DAYS; default 3); "serve" drops them every minute
  --json                  print {"interactions","sessions","codes","tokens","grants","web_sessions","calls","successors","limits","webhook_deliveries","messages","messages_unacked","batches","ms"}`,
  'seller create': `Usage: shouquan seller create --username U --password P --store NAME [--store NAME…] [--database URL] [--json]

Create a seller account with one or more stores (店铺).
  --username U       3 to 64 letters, digits or _ . @ -
  --password P       at least 8 characters; stored as an argon2id hash
  --store NAME       a store name (repeat for several)
  --database URL     sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL; default ${DEFAULT_DATABASE_URL})
  --json             print {"seller_id","stores":[{"store_id","name"}]}`,
  'seller reset-password': SELLER_RESET_PASSWORD_HELP,
  'operator create': `Usage: shouquan operator create --username U --password P [--totp] [--database URL] [--json]

Create an operator account for the operator admin (/admin): review and approve apps,
suspend an app, look up a seller's authorizations, read the audit log. Operators sign in
with the password and a TOTP code (RFC 6238); without --totp they enrol on first sign-in.
  --username U       3 to 64 letters, digits or _ . @ -
  --password P       at least 8 characters; stored as an argon2id hash
  --totp             enrol TOTP now: print the secret, the otpauth:// URI for an authenticator
                     app and ten single-use recovery codes (shown only this once)
  --secret-key-file PATH  with --totp: the server key's file, as serve takes it (env SHOUQUAN_SECRET_KEY_FILE);
                     the TOTP secret is sealed with it
  --issuer URL       with --totp: the server's public URL, named in the authenticator (env SHOUQUAN_ISSUER)
  --database URL     sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL; default ${DEFAULT_DATABASE_URL})
  --json             print {"operator_id","username"} (with --totp also "totp":{"secret","otpauth_uri","recovery_codes"})`,
  'operator reset-totp': `Usage: shouquan operator reset-totp --username U [--database URL] [--json]

Reset an operator's authenticator (a lost phone, no recovery codes left): the TOTP secret and the
recovery codes are cleared and the operator's /admin sessions end. At the next sign-in, after the
password, the operator sets up a new authenticator and gets new recovery codes. Audited
(console.operator_totp_reset). The same through the management API:
POST /admin/api/v1/operators/{username}/reset-totp.
  --username U       the operator's username
  --database URL     sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL; default ${DEFAULT_DATABASE_URL})
  --json             print {"operator_id","username","was_enrolled"}`,
};

type Values = Record<string, string | boolean | string[] | undefined>;

function parse(args: string[], options: ParseArgsConfig['options'], command?: string): { values: Values } {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }) as { values: Values };
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '').split('\n')[0];
    throw new UsageError(command ? `${message} (see "shouquan ${command} --help")` : (message ?? 'bad arguments'));
  }
}

/** Run an input check; its complaint becomes a usage error (exit 2) before any database is touched. */
function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const databaseOption = { database: { type: 'string' } } as const;
const databaseUrl = (v: unknown) => (typeof v === 'string' ? v : envDatabaseUrl() || DEFAULT_DATABASE_URL);

/** `shouquan app --help`: every app subcommand. */
const appHelp = () => `${groupHelp(APP_HELP)}\n\n${HELP['app gateway'] ?? ''}`;

const isHelp = (a: string) => a === '--help' || a === '-h';
/** Every subcommand's help, by "group sub". */
const SUBCOMMAND_HELP: Record<string, string> = {
  ...APP_HELP,
  ...SELLER_HELP,
  ...GRANT_HELP,
  ...SUBSCRIPTION_HELP,
  ...AUDIT_HELP,
  ...OPERATOR_TOKEN_HELP,
  ...EVENT_HELP,
};
/** `shouquan <group> --help`: every subcommand of the group (`operator token` alone for its own). */
const groupHelps: Record<string, (tokenOnly: boolean) => string> = {
  app: () => appHelp(),
  seller: () => `${HELP['seller create'] ?? ''}\n\n${groupHelp(SELLER_HELP)}`,
  grant: () => groupHelp(GRANT_HELP),
  subscription: () => groupHelp(SUBSCRIPTION_HELP),
  event: () => groupHelp(EVENT_HELP),
  audit: () => groupHelp(AUDIT_HELP),
  operator: (tokenOnly) =>
    tokenOnly
      ? groupHelp(OPERATOR_TOKEN_HELP)
      : `${HELP['operator create'] ?? ''}\n\n${HELP['operator reset-totp'] ?? ''}\n\n${groupHelp(OPERATOR_TOKEN_HELP)}`,
};

/** Entry point: returns the exit code. */
export async function main(argv: string[], out: Out = stdio): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  try {
    if (cmd === undefined) {
      // No command: the usage, on stderr, and a usage error's exit code.
      out.err(HELP.main ?? '');
      return 2;
    }
    if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
      const topic = cmd === 'help' ? [sub, ...rest].filter(Boolean).join(' ') : '';
      const group = topic === 'operator token' ? groupHelps.operator!(true) : groupHelps[topic]?.(false);
      out.log(group ?? HELP[topic] ?? SUBCOMMAND_HELP[topic] ?? HELP.main ?? '');
      return 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      out.log('shouquan 0.1.0');
      return 0;
    }
    if (cmd === 'serve') return await serve(argv.slice(1), out);
    if (cmd === 'migrate') return await migrate(argv.slice(1), out);
    if (cmd === 'app' && sub !== undefined && APP_SUBCOMMANDS.has(sub)) return await appCommand(sub, rest, out);
    if (cmd === 'seller' && sub === 'create') return await sellerCreate(rest, out);
    if (cmd === 'seller' && sub === 'reset-password') return await sellerResetPasswordCommand(rest, out);
    if (cmd === 'seller' && sub !== undefined && SELLER_SUBCOMMANDS.has(sub))
      return await sellerCommand(sub, rest, out);
    if (cmd === 'grant' && sub !== undefined && !isHelp(sub)) return await grantCommand(sub, rest, out);
    if (cmd === 'subscription' && sub !== undefined && !isHelp(sub)) return await subscriptionCommand(sub, rest, out);
    if (cmd === 'event' && sub !== undefined && !isHelp(sub)) return await eventCommand(sub, rest, out);
    if (cmd === 'audit' && sub !== undefined && !isHelp(sub)) return await auditCommand(sub, rest, out);
    if (cmd === 'operator' && sub === 'token' && rest[0] !== undefined && !isHelp(rest[0]))
      return await operatorTokenCommand(rest[0], rest.slice(1), out);
    if (cmd === 'operator' && sub === 'create') return await operatorCreate(rest, out);
    if (cmd === 'operator' && sub === 'reset-totp') return await operatorResetTotp(rest, out);
    if (cmd === 'app' && sub === 'gateway') return await appGatewayCommand(rest, out, DEFAULT_DATABASE_URL);
    if (cmd === 'janitor') return await janitor(argv.slice(1), out);
    if (cmd === 'key') return await keyCommand(sub, rest, out, DEFAULT_DATABASE_URL);
    if (cmd === 'backup') return await backupCommand(argv.slice(1), out);
    if (cmd === 'doctor') return await doctorCommand(argv.slice(1), out);
    if (cmd === 'config') return await configCommand(sub, rest, out);
    if (
      cmd !== undefined &&
      groupHelps[cmd] &&
      (sub === undefined || isHelp(sub) || (cmd === 'operator' && sub === 'token'))
    ) {
      out.log(groupHelps[cmd]!(cmd === 'operator' && sub === 'token'));
      return sub === undefined || (sub === 'token' && rest[0] === undefined) ? 2 : 0;
    }
    throw new UsageError(`unknown command "${[cmd, sub].filter(Boolean).join(' ')}" (try "shouquan --help")`);
  } catch (e) {
    out.err(`shouquan: ${(e as Error).message}`);
    return e instanceof UsageError || e instanceof InvalidDatabaseUrlError || e instanceof DatabaseNewerError ? 2 : 1;
  }
}

async function migrate(args: string[], out: Out): Promise<number> {
  const { values } = parse(args, { ...databaseOption, 'dry-run': { type: 'boolean' } }, 'migrate');
  if (values.help) return (out.log(HELP.migrate ?? ''), 0);
  const url = databaseUrl(values.database);
  if (values['dry-run']) return migrateDryRun(url, values.json === true, out);
  const { db, dialect } = openDatabase(url, { createIfMissing: true });
  try {
    const applied = await migrateToLatest(db, dialect);
    if (values.json) out.log(JSON.stringify({ database: redactDbUrl(url), applied }));
    else
      out.log(
        applied.length ? `applied ${applied.join(', ')} to ${redactDbUrl(url)}` : `${redactDbUrl(url)} is up to date`,
      );
    return 0;
  } finally {
    await db.destroy();
  }
}

/** `migrate --dry-run`: what `migrate` would apply; nothing is written or created. */
async function migrateDryRun(url: string, json: boolean, out: Out): Promise<number> {
  const parsed = parseDatabaseUrl(url);
  let status: { applied: string[]; pending: string[]; unknown: string[] };
  let exists = true;
  if (parsed.dialect === 'sqlite' && parsed.target !== ':memory:' && !existsSync(parsed.target)) {
    exists = false;
    status = { applied: [], pending: await knownMigrations('sqlite'), unknown: [] };
  } else {
    const { db, dialect } = openDatabase(url);
    try {
      status = await migrationStatus(db, dialect);
    } finally {
      await db.destroy();
    }
  }
  const where = redactDbUrl(url);
  if (json)
    out.log(
      JSON.stringify({
        database: where,
        exists,
        pending: status.pending,
        applied: status.applied,
        unknown: status.unknown,
      }),
    );
  else if (status.unknown.length === 0) {
    const head = exists ? '' : `${where} does not exist yet; "migrate" creates it. `;
    out.log(
      status.pending.length
        ? `${head}pending on ${where}: ${status.pending.join(', ')}`
        : `${where} is up to date (${status.applied.length} migrations applied)`,
    );
  }
  if (status.unknown.length > 0) throw new DatabaseNewerError(status.unknown);
  return 0;
}

async function sellerCreate(args: string[], out: Out): Promise<number> {
  const { values } = parse(
    args,
    {
      ...databaseOption,
      username: { type: 'string' },
      password: { type: 'string' },
      store: { type: 'string', multiple: true },
    },
    'seller create',
  );
  if (values.help) return (out.log(HELP['seller create'] ?? ''), 0);
  const { username, password } = values;
  if (typeof username !== 'string') throw new UsageError('--username is required');
  if (typeof password !== 'string') throw new UsageError('--password is required');
  const stores = (values.store as string[] | undefined) ?? [];
  if (stores.length === 0) throw new UsageError('--store is required');
  usage(() => checkSellerInput({ username, password, stores }));
  return withStorage(values.database, async (storage) => {
    const created = await createSeller(storage, { username, password, stores });
    const body = {
      seller_id: created.sellerId,
      stores: created.stores.map((s) => ({ store_id: s.storeId, name: s.name })),
    };
    if (values.json) out.log(JSON.stringify(body));
    else
      out.log(
        `seller_id: ${body.seller_id}\n${body.stores.map((s) => `store_id:  ${s.store_id}  ${s.name}`).join('\n')}`,
      );
    return 0;
  });
}

async function operatorCreate(args: string[], out: Out): Promise<number> {
  const { values } = parse(args, {
    ...databaseOption,
    username: { type: 'string' },
    password: { type: 'string' },
    totp: { type: 'boolean' },
    'secret-key-file': { type: 'string' },
    issuer: { type: 'string' },
  });
  if (values.help) return (out.log(HELP['operator create'] ?? ''), 0);
  const { username, password } = values;
  if (typeof username !== 'string') throw new UsageError('--username is required');
  if (typeof password !== 'string') throw new UsageError('--password is required');
  return withStorage(values.database, async (storage) => {
    const key = values.totp
      ? await loadSecretKey(
          storage,
          typeof values['secret-key-file'] === 'string'
            ? values['secret-key-file']
            : process.env.SHOUQUAN_SECRET_KEY_FILE || undefined,
        )
      : undefined;
    const account = await createWebAccount(storage, { realm: 'operator', username, password });
    if (!key) {
      if (values.json) out.log(JSON.stringify({ operator_id: account.accountId, username: account.username }));
      else
        out.log(
          `operator_id: ${account.accountId}\nusername:    ${account.username}\nSign in at /admin/login (you set up the authenticator code at the first sign-in).`,
        );
      return 0;
    }
    // docs/adr/0161: enrolled at once (the operator copies the secret from here), recovery codes shown once.
    const issuer = typeof values.issuer === 'string' ? values.issuer : process.env.SHOUQUAN_ISSUER || '';
    const now = Date.now();
    const enrolment = await startTotpEnrolment(storage, key, account, totpIssuerLabel('Shouquan', issuer), now);
    const codes = await issueRecoveryCodes(storage, account.accountId, now);
    if (values.json) {
      out.log(
        JSON.stringify({
          operator_id: account.accountId,
          username: account.username,
          totp: { secret: enrolment.secret, otpauth_uri: enrolment.uri, recovery_codes: codes },
        }),
      );
    } else {
      out.log(
        `operator_id: ${account.accountId}\nusername:    ${account.username}\n` +
          `TOTP secret: ${enrolment.secret}\notpauth URI: ${enrolment.uri}\n` +
          `Add it to an authenticator app (or make a QR code of the URI). Recovery codes, each signs in once, shown only now:\n` +
          `${codes.map((c) => `  ${c}`).join('\n')}\nSign in at /admin/login with the password and the app's code.`,
      );
    }
    return 0;
  });
}

async function operatorResetTotp(args: string[], out: Out): Promise<number> {
  const { values } = parse(args, { ...databaseOption, username: { type: 'string' } }, 'operator reset-totp');
  if (values.help) return (out.log(HELP['operator reset-totp'] ?? ''), 0);
  const { username } = values;
  if (typeof username !== 'string') throw new UsageError('--username is required');
  return withStorage(values.database, async (storage) => {
    const reset = await resetOperatorTotp(storage, username, 'cli', Date.now());
    if (!reset) throw new Error(`no operator with username ${username}`);
    if (values.json)
      out.log(JSON.stringify({ operator_id: reset.account.accountId, username, was_enrolled: reset.wasEnrolled }));
    else
      out.log(
        `operator ${username}: authenticator reset, recovery codes cleared, sessions ended.\n` +
          'At the next sign-in at /admin/login (password first) they set up a new authenticator.',
      );
    return 0;
  });
}

/** Open the command's database, run `fn`, and always close it; a taken name is a one-line error. */
async function withStorage<T>(
  database: unknown,
  fn: (storage: Awaited<ReturnType<typeof openStorage>>) => Promise<T>,
): Promise<T> {
  const storage = await openStorage(databaseUrl(database));
  try {
    return await fn(storage);
  } catch (e) {
    if (e instanceof DuplicateError) throw new Error(e.message);
    throw e;
  } finally {
    await storage.close();
  }
}

async function janitor(args: string[], out: Out): Promise<number> {
  const { values } = parse(args, {
    ...databaseOption,
    'batch-size': { type: 'string' },
    grace: { type: 'string' },
    'call-retention': { type: 'string' },
    'message-retention-days': { type: 'string' },
  });
  if (values.help) return (out.log(HELP.janitor ?? ''), 0);
  const messageRetentionRaw =
    typeof values['message-retention-days'] === 'string'
      ? values['message-retention-days']
      : process.env.SHOUQUAN_MESSAGE_RETENTION_DAYS || undefined;
  const messageRetentionDays = usage(
    () => resolveServeConfig({ 'message-retention-days': messageRetentionRaw }, {}).messageRetentionDays,
  );
  const whole = (flag: string, v: unknown, min: number) => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min)
      throw new UsageError(`--${flag} must be a whole number of at least ${min}, got "${String(v)}"`);
    return Number(v);
  };
  const batchSize = whole('batch-size', values['batch-size'], 1);
  const grace = whole('grace', values.grace, 0);
  const retentionRaw =
    typeof values['call-retention'] === 'string'
      ? values['call-retention']
      : process.env.SHOUQUAN_CALL_RETENTION || undefined;
  const retentionDays = usage(() => parseCallRetention(retentionRaw));
  const storage = await openStorage(databaseUrl(values.database));
  try {
    const report = await purgeExpired(storage, {
      batchSize,
      graceMs: grace === undefined ? undefined : grace * 1000,
      callRetentionMs: retentionDays * 86_400_000,
    });
    // Message service events past retention (issue 16 §2), the unacknowledged ones counted.
    const messages = storage.gateway
      ? await new MessageService(
          { storage, profile: getProfile('standard'), now: () => Date.now() },
          { retentionMs: messageRetentionDays * 86_400_000 },
        ).purgeExpired(batchSize)
      : { dropped: 0, unacked: 0 };
    if (values.json) {
      const r = report;
      out.log(
        JSON.stringify({
          interactions: r.interactions,
          sessions: r.sessions,
          codes: r.codes,
          tokens: r.tokens,
          grants: r.grants,
          web_sessions: r.webSessions,
          calls: r.calls,
          successors: r.successors,
          limits: r.limits,
          webhook_deliveries: r.deliveries,
          messages: messages.dropped,
          messages_unacked: messages.unacked,
          batches: r.batches,
          ms: r.ms,
        }),
      );
    } else {
      out.log(
        `purged ${report.codes} codes, ${report.tokens} tokens, ${report.sessions} sessions, ${report.interactions} interactions, ${report.grants} grants, ` +
          `${report.webSessions} console sessions, ${report.calls} call records, ${report.successors} sealed refresh successors, ${report.limits} expired limit counters, ${report.deliveries} delivered webhook pushes in ${report.batches} batches (${report.ms} ms); ` +
          `${messages.dropped} messages past retention (${messages.unacked} never acknowledged)`,
      );
    }
    return 0;
  } finally {
    await storage.close();
  }
}

async function serve(args: string[], out: Out): Promise<number> {
  const { values } = parse(args, serveFlagOptions(), 'serve');
  if (values.help) return (out.log(HELP.serve ?? ''), 0);
  let config: ServeConfig;
  try {
    config = loadServeConfig(values as Record<string, string | boolean | undefined>).config;
    for (const flag of ['database', 'redis'] as const) {
      const v = values[flag];
      // Issue 17: secrets come from the environment or files, never from a flag's value (any local user
      // sees the command line in "ps").
      if (typeof v === 'string' && urlHasPassword(v)) {
        const where =
          flag === 'database'
            ? 'SHOUQUAN_DATABASE_URL or --database-url-file'
            : 'SHOUQUAN_REDIS_URL or --redis-url-file';
        throw new Error(
          `--${flag} may not carry a password (any local user sees it in "ps"); give the URL in ${where}`,
        );
      }
    }
  } catch (e) {
    // A bad flag or environment value is a usage error (exit 2), like an unknown flag.
    throw new UsageError((e as Error).message);
  }
  const slot = clusterWorkerSlot();
  if (slot !== undefined) return serveWorker(config, slot);
  if (config.workers > 1) return servePrimary(config, args, values.json === true, out);

  const signals = catchSignals();
  let started;
  let storage: Storage;
  let tracingTo: { endpoint: string } | undefined;
  try {
    // Before the database opens: its statements are traced too (docs/adr/0155).
    tracingTo = await startTracing(process.env, (m) => out.err(`shouquan: warning: ${m}`));
    storage = await openStorage(config.databaseUrl, {
      createIfMissing: true,
      redisUrl: config.redisUrl,
      messageBroker: config.messageBroker,
      messageRetentionMs: config.messageRetentionDays * 86_400_000,
    });
    if (!config.sandbox)
      await retireSandbox(storage, out, config.secretKeyFile).catch(async (e: unknown) => {
        await storage.close().catch(() => {});
        throw e;
      });
    started = await startServer(config, storage);
  } catch (e) {
    signals.dispose();
    await stopTracing().catch(() => {});
    throw e;
  }
  const { app, core, adminPort } = started;
  if (tracingTo) app.log.info({ endpoint: tracingTo.endpoint }, 'tracing: exporting spans over OTLP/HTTP');
  const janitorJob = config.janitorInterval > 0 ? startServeJanitor(config, storage, app, core.now) : undefined;
  const port = listeningPort(app, config);
  const sandbox = config.sandbox ? await ensureSandbox(storage, core.secretKey, core.issuer) : undefined;
  printSummary(startupSummary({ ...config, issuer: core.issuer }, port, sandbox, adminPort), values.json === true, out);
  await signals
    .wait(app.log, async () => {
      await janitorJob?.stop();
      await app.close();
      await stopTracing().catch(() => {});
    })
    .finally(() => storage.close().catch(() => {}));
  return 0;
}

/** Without --sandbox, credentials a sandbox printed on this database stop working (docs/adr/0120). */
async function retireSandbox(storage: Storage, out: Out, keyFile?: string): Promise<void> {
  if (await retireSandboxCredentials(storage, await loadSecretKey(storage, keyFile))) {
    out.err(
      "shouquan: note: a sandbox ran on this database; the demo app's secret and demo-seller's password it printed no longer work here (docs/adr/0120-sandbox-stays-a-sandbox.md)",
    );
  }
}

/** Build the server and listen; a taken port or a foreign address is a one-line error (exit 1). */
async function startServer(config: ServeConfig, storage: Storage, clusterWorker?: number) {
  // `--port 0` picks a free port: an issuer derived from it names the port the server listens on,
  // read from the server itself (an explicit --issuer never has port 0; docs/adr/0167).
  let app: FastifyInstance | undefined;
  const issuer =
    new URL(config.issuer).port === '0' ? () => issuerFor(config, app ? listeningPort(app, config) : 0) : config.issuer;
  const core = await createCoreContext({
    storage,
    profile: config.profile,
    issuer,
    lifetimes: {
      access: config.accessTokenTtl,
      refresh: config.refreshTokenTtl,
      code: config.codeTtl,
      refreshGrace: config.refreshGrace,
    },
    secretKeyFile: config.secretKeyFile,
  }).catch(async (e: unknown) => {
    // A key that does not fit (docs/adr/0115) ends the start: nothing may keep the process alive.
    await storage.close().catch(() => {});
    throw e;
  });
  app = await buildServer({
    core,
    logger: { level: config.logLevel },
    sandbox: config.sandbox,
    gateway: {
      ...loadGatewayOptions(config.gatewayConfig),
      subscriptionExpiringDays: config.subscriptionExpiringDays,
      messageVisibilitySeconds: config.messageVisibilitySeconds,
      messageRetentionDays: config.messageRetentionDays,
    },
    trustProxy: config.trustProxy,
    requestTimeout: config.requestTimeout,
    // The limit is for the whole command: with --workers N each worker holds its share.
    maxConnectionsPerIp:
      clusterWorker === undefined
        ? config.maxConnectionsPerIp
        : perWorkerConnections(config.maxConnectionsPerIp, config.workers),
    metricsAppLimit: config.metricsAppLimit,
    clusterWorker,
    sellerDirectory: config.sellerDirectory,
    sellerOidc: config.sellerOidc,
    adminListener: config.adminPort !== undefined,
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    // Nothing may keep the process alive after a failed start (port taken, address not ours).
    await app.close().catch(() => {});
    await storage.close().catch(() => {});
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE')
      throw new Error(`port ${config.port} on ${config.host} is already in use (choose another with --port)`);
    if (err.code === 'EADDRNOTAVAIL')
      throw new Error(`address ${config.host} is not available on this machine (check --host)`);
    throw e;
  }
  let adminPort: number | undefined;
  if (config.adminPort !== undefined) {
    try {
      adminPort = (await listenAdmin(app, config.adminHost, config.adminPort)).port;
    } catch (e) {
      await app.close().catch(() => {});
      await storage.close().catch(() => {});
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE')
        throw new Error(
          `admin port ${config.adminPort} on ${config.adminHost} is already in use (choose another with --admin-port)`,
        );
      if (err.code === 'EADDRNOTAVAIL')
        throw new Error(`address ${config.adminHost} is not available on this machine (check --admin-host)`);
      throw e;
    }
  }
  return { app, core, adminPort };
}

function startServeJanitor(config: ServeConfig, storage: Storage, app: FastifyInstance, now: () => number) {
  return startJanitor(storage, {
    intervalMs: config.janitorInterval * 1000,
    // The server's clock, which the sandbox clock moves (docs/gateway.md#sandbox-clock).
    now,
    callRetentionMs: config.callRetentionDays * 86_400_000,
    onRun: (r) => app.log.info({ janitor: r }, 'janitor purged expired rows'),
    onError: (e) => app.log.warn({ err: e }, 'janitor run failed; will retry'),
  });
}

function listeningPort(app: FastifyInstance, config: ServeConfig): number {
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : config.port;
}

/** The issuer once the port is known: one derived from `--port 0` gets the real port. */
function issuerFor(config: ServeConfig, port: number): string {
  return new URL(config.issuer).port === '0' ? config.issuer.replace(/:0$/, `:${port}`) : config.issuer;
}

/** SIGTERM and SIGINT, caught from the start of `serve` on; `wait` drains once one arrived. */
interface SignalLatch {
  /** Resolve once a signal arrived (maybe already) and `drain` finished. */
  wait(log: FastifyInstance['log'], drain: () => Promise<void>): Promise<void>;
  /** Stop catching (a start that failed). */
  dispose(): void;
}

/**
 * Catch SIGTERM and SIGINT from now on, before anything slow starts (migrations, listen, the
 * sandbox's password hash): a signal that arrives during start-up is kept and answered with a
 * drain as soon as the server runs, instead of ending the process with 143. A single process
 * takes the first signal only (a second one ends it at once, like a second Ctrl-C); a worker
 * ignores repeats until it exits, since it gets the signal from its process group (Ctrl-C,
 * timeout) and again from the primary.
 */
function catchSignals(ignoreRepeats = false): SignalLatch {
  let received: string | undefined;
  let wake: ((signal: string) => void) | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (!ignoreRepeats) dispose();
    if (received !== undefined) return;
    received = signal;
    wake?.(signal);
  };
  const dispose = () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    dispose,
    wait: (log, drain) =>
      new Promise<void>((resolve) => {
        const stop = async (signal: string) => {
          log.info({ signal }, 'shutting down: draining in-flight requests');
          try {
            await drain();
          } finally {
            resolve();
          }
        };
        if (received !== undefined) void stop(received);
        else wake = (signal) => void stop(signal);
      }),
  };
}

/**
 * One worker of `serve --workers N` (docs/adr/0090): no migrations (the primary ran them), no
 * sandbox and no summary (the primary prints it once); the janitor runs in worker 1 only. It
 * tells the primary when it listens, or why it could not start.
 */
async function serveWorker(config: ServeConfig, slot: number): Promise<number> {
  let storage: Storage | undefined;
  const signals = catchSignals(true);
  try {
    let started: Awaited<ReturnType<typeof startServer>>;
    try {
      await startTracing(process.env);
      storage = await openStorage(config.databaseUrl, {
        migrate: false,
        redisUrl: config.redisUrl,
        messageBroker: config.messageBroker,
        messageRetentionMs: config.messageRetentionDays * 86_400_000,
      });
      started = await startServer(config, storage, slot);
    } catch (e) {
      // The primary prints the reason once, for all workers, and exits 1.
      await new Promise<void>(
        (resolve) =>
          process.send?.(
            { type: 'shouquan:start-failed', message: (e as Error).message } satisfies WorkerMessage,
            undefined,
            undefined,
            () => resolve(),
          ) ?? resolve(),
      );
      return 1;
    }
    const { app, core } = started;
    const janitorJob =
      config.janitorInterval > 0 && slot === 1 ? startServeJanitor(config, storage, app, core.now) : undefined;
    const port = listeningPort(app, config);
    tellPrimary({ type: 'shouquan:listening', port });
    await signals.wait(app.log, async () => {
      await janitorJob?.stop();
      await app.close();
    });
    await stopTracing().catch(() => {});
    return 0;
  } finally {
    signals.dispose();
    await storage?.close().catch(() => {});
    // Leave the cluster: the IPC channel closes and the process exits once its work is done.
    cluster.worker?.disconnect();
  }
}

/**
 * The primary of `serve --workers N`: migrations once, before forking; then the workers
 * (src/cli/serve-cluster.ts); the sandbox and the start-up summary once, after all of them listen.
 */
async function servePrimary(config: ServeConfig, args: string[], json: boolean, out: Out): Promise<number> {
  loadGatewayOptions(config.gatewayConfig); // a bad file is reported here once, not by every worker
  const storage = await openStorage(config.databaseUrl, { createIfMissing: true });
  try {
    const secretKey = await loadSecretKey(storage, config.secretKeyFile);
    if (!config.sandbox)
      await retireSandbox(storage, out, config.secretKeyFile).catch(async (e: unknown) => {
        await storage.close().catch(() => {});
        throw e;
      });
    return await runPrimary({
      workers: config.workers,
      args,
      logLevel: config.logLevel,
      metricsAppLimit: config.metricsAppLimit,
      onFailure: (message) => out.err(`shouquan: ${message}`),
      onListening: async (port) => {
        const issuer = issuerFor(config, port);
        const sandbox = config.sandbox ? await ensureSandbox(storage, secretKey, issuer) : undefined;
        printSummary({ ...startupSummary({ ...config, issuer }, port, sandbox), workers: config.workers }, json, out);
      },
    });
  } finally {
    await storage.close().catch(() => {});
  }
}

function startupSummary(
  config: ServeConfig,
  port: number,
  sandbox: SandboxCredentials | undefined,
  adminPort = config.adminPort,
) {
  const hostPart = (h: string) => (h.includes(':') ? `[${h}]` : h);
  return {
    url: `http://${hostPart(config.host)}:${port}`,
    // `--admin-port`: where /admin, /admin/api/* and /metrics answer (a port of 0 is known only in a single process).
    ...(adminPort !== undefined &&
      adminPort !== 0 && { admin_url: `http://${hostPart(config.adminHost)}:${adminPort}` }),
    issuer: config.issuer,
    profile: config.profile.name,
    database: redactDbUrl(config.databaseUrl),
    ...(sandbox && {
      sandbox: {
        app_key: sandbox.appKey,
        app_secret: sandbox.appSecret,
        callbacks: sandbox.callbacks,
        seller: {
          username: sandbox.username,
          password: sandbox.password,
          stores: sandbox.stores.map((s) => ({ store_id: s.storeId, name: s.name })),
        },
        authorize_url: `${config.issuer}${config.profile.paths.authorize}?response_type=code&${config.profile.params.clientId[0]}=${sandbox.appKey}&redirect_uri=${encodeURIComponent(sandbox.callbacks[0] ?? '')}&state=demo&scope=${config.profile.authorize.defaultScope}`,
      },
    }),
  };
}

function printSummary(
  summary: ReturnType<typeof startupSummary> & { workers?: number },
  json: boolean,
  out: Out,
): void {
  if (json) return out.log(JSON.stringify(summary));
  const workers = summary.workers === undefined ? '' : `, ${summary.workers} workers`;
  out.log(
    `Shouquan listening on ${summary.url} (issuer ${summary.issuer}, profile ${summary.profile}, database ${summary.database}${workers})`,
  );
  if (summary.admin_url) out.log(`Operator surfaces (/admin, /admin/api/*, /metrics) on ${summary.admin_url} only`);
  if (summary.sandbox) {
    const s = summary.sandbox;
    out.log(
      [
        '',
        'Sandbox (fresh credentials on every start):',
        `  app_key / client_id:         ${s.app_key}`,
        `  app_secret / client_secret:  ${s.app_secret}`,
        `  callbacks:                   ${s.callbacks.join('  ')}`,
        `  seller:                      ${s.seller.username} / ${s.seller.password}`,
        `  stores:                      ${s.seller.stores.map((x) => `${x.store_id} ${x.name}`).join(', ')}`,
        '',
        `Open this in a browser to try the flow:`,
        `  ${s.authorize_url}`,
        '',
      ].join('\n'),
    );
  }
}
