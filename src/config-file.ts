/**
 * `serve --config FILE` (env SHOUQUAN_CONFIG): the serve settings from a JSON or TOML file, checked
 * against a JSON Schema derived from SERVE_SETTINGS (the table that also defines the flags and the
 * SHOUQUAN_* variables), with the file's line numbers in every error. Precedence: flag, then
 * environment variable, then the file, then the default. A file never holds secrets: a database or
 * Redis URL with a password, or the seller directory's secret, is refused; their `*-file`
 * settings name a file that holds them instead.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseToml, TomlError } from 'smol-toml';
import {
  BOOLEAN_SERVE_FLAGS,
  SERVE_SETTINGS,
  resolveServeConfig,
  type ServeConfig,
  type SettingsFile,
} from './config.js';
import { DEFAULT_SELLER_DIRECTORY_TIMEOUT_MS } from './sellers/seller-directory.js';

/** A config file that cannot be used: the message names the file and line. */
export class ConfigFileError extends Error {}

/** The value types a setting takes in a config file. */
export type SettingKind = 'string' | 'integer' | 'boolean' | 'trust-proxy' | 'workers';

/** Settings whose values are whole numbers; booleans are BOOLEAN_SERVE_FLAGS; everything else a string. */
const INTEGER_SETTINGS = new Set([
  'port',
  'access-token-ttl',
  'refresh-token-ttl',
  'code-ttl',
  'janitor-interval',
  'call-retention',
  'request-timeout',
  'max-connections-per-ip',
  'refresh-grace',
  'admin-port',
  'seller-directory-timeout-ms',
  'metrics-app-limit',
  'subscription-expiring-days',
]);

/** Settings a config file may not hold (the file cannot name another file). */
const NOT_IN_FILE = new Set(['config']);

/** Secrets a file may hold only through a `*-file` path, with what to do instead. */
const SECRET_KEYS: Record<string, string> = {
  'seller-directory-secret':
    'set seller-directory-secret-file = "PATH" (a file holding the secret) or the environment variable SHOUQUAN_SELLER_DIRECTORY_SECRET',
  'seller-oidc-client-secret':
    'set seller-oidc-client-secret-file = "PATH" (a file holding the secret) or the environment variable SHOUQUAN_SELLER_OIDC_CLIENT_SECRET',
  'database-password':
    'put the whole URL in a file and set database-url-file = "PATH", or set SHOUQUAN_DATABASE_URL (PostgreSQL also reads PGPASSWORD and ~/.pgpass)',
  'redis-password': 'put the whole URL in a file and set redis-url-file = "PATH", or set SHOUQUAN_REDIS_URL',
};

export function settingKind(flag: string): SettingKind {
  if (BOOLEAN_SERVE_FLAGS.includes(flag)) return 'boolean';
  if (INTEGER_SETTINGS.has(flag)) return 'integer';
  if (flag === 'trust-proxy') return 'trust-proxy';
  if (flag === 'workers') return 'workers';
  return 'string';
}

const KIND_SCHEMA: Record<SettingKind, Record<string, unknown>> = {
  string: { type: 'string' },
  integer: { type: 'integer', minimum: 0 },
  boolean: { type: 'boolean' },
  'trust-proxy': {
    anyOf: [
      { type: 'boolean' },
      { type: 'integer', minimum: 0 },
      { type: 'string' },
      { type: 'array', items: { type: 'string' } },
    ],
  },
  workers: { anyOf: [{ type: 'integer', minimum: 1 }, { const: 'auto' }] },
};

const KIND_TEXT: Record<SettingKind, string> = {
  string: 'a string',
  integer: 'a whole number',
  boolean: 'true or false',
  'trust-proxy': 'true, false, a hop count, or a list of proxy addresses',
  workers: 'a whole number or "auto"',
};

/** The JSON Schema of a config file, one property per serve setting (keys are the flag names). */
export function serveConfigSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [flag, env, meaning] of SERVE_SETTINGS) {
    if (NOT_IN_FILE.has(flag)) continue;
    properties[flag] = { ...KIND_SCHEMA[settingKind(flag)], description: `${meaning} (flag --${flag}, env ${env})` };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'shouquan serve --config',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
}
type Validator = ((v: unknown) => boolean) & { errors?: SchemaError[] | null };
let validator: Validator | undefined;

function validate(value: unknown): SchemaError[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(serveConfigSchema());
  return validator(value) ? [] : (validator.errors ?? []);
}

// ---------------------------------------------------------------------------------------------
// JSON with positions: Node's JSON.parse does not say where an error is, and nothing says where a key is.

interface Parsed {
  value: unknown;
  /** 1-based line of each top-level key. */
  lines: Record<string, number>;
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Parse a JSON document, keeping each top-level key's line; errors say line and column. */
export function parseJsonWithLines(text: string, path: string): Parsed {
  let i = 0;
  const lines: Record<string, number> = {};
  const fail = (message: string, at = i): never => {
    const { line, column } = lineColumn(text, at);
    throw new ConfigFileError(`${path}:${line}:${column}: ${message}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const describe = () => (i >= text.length ? 'the end of the file' : `"${text[i]}"`);
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('a control character (a line break?) inside a string');
      i++;
    }
    if (i >= text.length) fail('a string is not closed', start);
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('a bad escape in a string', start);
    }
  };
  const value = (depth: number): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') return (i++, out);
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a key in double quotes, found ${describe()}`);
        const keyAt = i;
        const key = str();
        if (Object.hasOwn(out, key)) fail(`"${key}" is given twice`, keyAt);
        if (depth === 0) lines[key] = lineColumn(text, keyAt).line;
        ws();
        if (text[i] !== ':') fail(`expected ":" after "${key}", found ${describe()}`);
        i++;
        out[key] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail('a comma before "}" (JSON allows no trailing comma)');
          continue;
        }
        if (text[i] === '}') return (i++, out);
        fail(`expected "," or "}", found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') return (i++, out);
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') return (i++, out);
        fail(`expected "," or "]", found ${describe()}`);
      }
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!m) return fail(`expected a value, found ${describe()}`);
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const v = value(0);
  ws();
  if (i < text.length) fail(`unexpected ${describe()} after the end of the document`);
  return { value: v, lines };
}

/** Parse TOML (smol-toml); a top-level key's line is found by scanning for `key =`. */
function parseTomlWithLines(text: string, path: string): Parsed {
  let value: unknown;
  try {
    value = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError)
      throw new ConfigFileError(
        `${path}:${e.line}:${e.column}: ${e.message.replace(/^Invalid TOML document: /, '').split('\n')[0]}`,
      );
    throw e;
  }
  const lines: Record<string, number> = {};
  text.split('\n').forEach((line, n) => {
    if (/^\s*\[/.test(line)) return;
    const m = /^\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=/.exec(line);
    const key = m?.[1] ?? m?.[2] ?? m?.[3];
    if (key !== undefined && lines[key] === undefined) lines[key] = n + 1;
  });
  // Tables (`[section]`): point at their header.
  text.split('\n').forEach((line, n) => {
    const m = /^\s*\[\s*"?([A-Za-z0-9_-]+)"?/.exec(line);
    if (m && lines[m[1]!] === undefined) lines[m[1]!] = n + 1;
  });
  return { value, lines };
}

function closest(key: string, candidates: string[]): string | undefined {
  const dashed = key.replace(/_/g, '-').toLowerCase();
  if (candidates.includes(dashed)) return dashed;
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let x = 1; x <= a.length; x++) {
      let prev = d[0]!;
      d[0] = x;
      for (let y = 1; y <= b.length; y++) {
        const t = d[y]!;
        d[y] = Math.min(d[y]! + 1, d[y - 1]! + 1, prev + (a[x - 1] === b[y - 1] ? 0 : 1));
        prev = t;
      }
    }
    return d[b.length]!;
  };
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = dist(dashed, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** A URL that carries a password (user:password@ or ?password=). */
export function urlHasPassword(v: string): boolean {
  try {
    const u = new URL(v);
    return u.password !== '' || u.searchParams.has('password');
  } catch {
    return false;
  }
}

/** As a flag would carry it: true/false, digits, or comma-separated addresses. */
function asFlagText(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** Read and check a config file; every error names the file and the line. */
export function loadConfigFile(
  path: string,
  read: (p: string) => string = (p) => readFileSync(p, 'utf8'),
): SettingsFile {
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== '.toml')
    throw new ConfigFileError(`--config ${path}: the file name must end in .json or .toml (that says how to read it)`);
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    throw new ConfigFileError(
      `--config ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const parsed = ext === '.json' ? parseJsonWithLines(text, path) : parseTomlWithLines(text, path);
  const at = (key: string) => `${path}:${parsed.lines[key] ?? 1}`;
  const doc = parsed.value;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigFileError(`${path}:1: the file must hold one object of settings (keys are serve's flag names)`);
  const entries = Object.entries(doc as Record<string, unknown>);
  const known: string[] = SERVE_SETTINGS.map(([flag]) => flag as string).filter((f) => !NOT_IN_FILE.has(f));
  // Secrets and unknown keys first: they get the clearest messages.
  for (const [key, value] of entries) {
    const instead =
      SECRET_KEYS[key] ??
      (/(secret|password|passwd|token)$/i.test(key) && !key.endsWith('-file')
        ? "use the setting's -file form with a path, or its environment variable"
        : undefined);
    if (instead !== undefined)
      throw new ConfigFileError(`${at(key)}: "${key}" is a secret, and a config file never holds secrets: ${instead}`);
    if (NOT_IN_FILE.has(key)) throw new ConfigFileError(`${at(key)}: "${key}" cannot be set in a config file`);
    if (!known.includes(key)) {
      const hint = closest(key, known);
      throw new ConfigFileError(
        `${at(key)}: unknown setting "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; the keys are serve's flag names without "--" ("shouquan serve --help")`,
      );
    }
    if ((key === 'database' || key === 'redis') && typeof value === 'string' && urlHasPassword(value)) {
      throw new ConfigFileError(
        `${at(key)}: "${key}" carries a password, and a config file never holds secrets: ${SECRET_KEYS[`${key}-password`]}`,
      );
    }
  }
  const errors = validate(doc);
  if (errors.length > 0) {
    const e = errors.find((x) => x.instancePath !== '') ?? errors[0]!;
    const key = decodeURIComponent(e.instancePath.split('/')[1] ?? '')
      .replace(/~1/g, '/')
      .replace(/~0/g, '~');
    const kind = settingKind(key);
    const got = (doc as Record<string, unknown>)[key];
    const gotText = Array.isArray(got)
      ? 'a list'
      : got !== null && typeof got === 'object'
        ? 'a table/object'
        : JSON.stringify(got);
    throw new ConfigFileError(
      `${at(key)}: ${key} must be ${KIND_TEXT[kind]}${kind === 'integer' ? ' (not in quotes)' : ''}, got ${gotText}`,
    );
  }
  const values: Record<string, string> = {};
  for (const [key, value] of entries) values[key] = asFlagText(value);
  return { path, values, lines: Object.fromEntries(Object.keys(values).map((k) => [k, parsed.lines[k] ?? 1])) };
}

export type SettingSource = 'flag' | 'env' | 'file' | 'default';

type Flags = Record<string, string | boolean | undefined>;

/** Where a setting's value comes from: the flag wins, then its variable, then the file. */
export function sourceOf(
  flag: string,
  envName: string,
  flags: Flags,
  env: NodeJS.ProcessEnv,
  file?: SettingsFile,
): SettingSource {
  const f = flags[flag];
  if (typeof f === 'string' || f === true) return 'flag';
  if (env[envName] !== undefined && env[envName] !== '') return 'env';
  if (file?.values[flag] !== undefined) return 'file';
  return 'default';
}

/** The config file named by `--config`, else SHOUQUAN_CONFIG; undefined when neither is. */
export function configFilePath(flags: Flags, env: NodeJS.ProcessEnv): string | undefined {
  return typeof flags.config === 'string' ? flags.config : env.SHOUQUAN_CONFIG || undefined;
}

/**
 * The serve configuration from flags, environment, `--config` file and defaults. An invalid value
 * read from the file is reported with the file's line.
 */
export function loadServeConfig(
  flags: Flags,
  env: NodeJS.ProcessEnv = process.env,
  read?: (p: string) => string,
): { config: ServeConfig; file?: SettingsFile } {
  const path = configFilePath(flags, env);
  const file = path === undefined ? undefined : loadConfigFile(path, read);
  try {
    return { config: resolveServeConfig(flags, env, file), file };
  } catch (e) {
    const message = (e as Error).message;
    const flag = /^--([a-z0-9-]+)/.exec(message)?.[1];
    const row = SERVE_SETTINGS.find(([f]) => f === flag);
    if (file && row && sourceOf(row[0], row[1], flags, env, file) === 'file') {
      throw new ConfigFileError(`${file.path}:${file.lines[row[0]] ?? 1}: ${message.replace(/^--/, '')}`);
    }
    throw e;
  }
}

/** Mask a URL's password (user:password@ and ?password=). */
export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@').replace(/([?&]password=)[^&]*/gi, '$1***');
}

/** Secrets with no flag, shown (masked) after their setting: name, variable, *-file setting and its variable. */
const SECRETS_WITHOUT_FLAG: Record<string, readonly [string, string, string, string]> = {
  'seller-directory': [
    'seller-directory-secret',
    'SHOUQUAN_SELLER_DIRECTORY_SECRET',
    'seller-directory-secret-file',
    'SHOUQUAN_SELLER_DIRECTORY_SECRET_FILE',
  ],
  'seller-oidc-client-id': [
    'seller-oidc-client-secret',
    'SHOUQUAN_SELLER_OIDC_CLIENT_SECRET',
    'seller-oidc-client-secret-file',
    'SHOUQUAN_SELLER_OIDC_CLIENT_SECRET_FILE',
  ],
};

export interface EffectiveSetting {
  setting: string;
  env: string;
  value: string | number | boolean | string[] | null;
  source: SettingSource;
  /** The config file's line, when the source is the file. */
  line?: number;
  /** A secret given through this `*-file` setting. */
  via?: string;
}

/** Every serve setting's effective value and where it came from; secrets masked. */
export function effectiveSettings(
  config: ServeConfig,
  flags: Flags,
  env: NodeJS.ProcessEnv,
  file?: SettingsFile,
): EffectiveSetting[] {
  const raw = (flag: string, envName: string): string | null => {
    const f = flags[flag];
    if (typeof f === 'string') return f;
    if (f === true) return 'true';
    return env[envName] || file?.values[flag] || null;
  };
  const out: EffectiveSetting[] = [];
  const source = (flag: string, envName: string) => sourceOf(flag, envName, flags, env, file);
  for (const [flag, envName] of SERVE_SETTINGS) {
    let value: EffectiveSetting['value'];
    let src = source(flag, envName);
    let via: string | undefined;
    const viaFile = (fileFlag: string, fileEnv: string) => {
      if (src === 'default' && raw(fileFlag, fileEnv) !== null) {
        src = source(fileFlag, fileEnv);
        via = fileFlag;
      }
    };
    switch (flag) {
      case 'config':
        value = file?.path ?? null;
        break;
      case 'host':
        value = config.host;
        break;
      case 'port':
        value = config.port;
        break;
      case 'database':
        value = maskUrl(config.databaseUrl);
        viaFile('database-url-file', 'SHOUQUAN_DATABASE_URL_FILE');
        break;
      case 'profile':
        value = config.profile.name;
        break;
      case 'redirect-rule':
        value = config.profile.redirectRule;
        break;
      case 'issuer':
        value = config.issuer;
        break;
      case 'sandbox':
        value = config.sandbox;
        break;
      case 'access-token-ttl':
        value = config.accessTokenTtl;
        break;
      case 'refresh-token-ttl':
        value = config.refreshTokenTtl;
        break;
      case 'code-ttl':
        value = config.codeTtl;
        break;
      case 'log-level':
        value = config.logLevel;
        break;
      case 'gateway-config':
        value = config.gatewayConfig ?? null;
        break;
      case 'trust-proxy':
        value = config.trustProxy;
        break;
      case 'janitor-interval':
        value = config.janitorInterval;
        break;
      case 'workers':
        value = config.workers;
        break;
      case 'secret-key-file':
        value = config.secretKeyFile ?? null;
        break;
      case 'standard-token-fields':
        value = config.profile.responses.standardTokenFields === true;
        break;
      case 'call-retention':
        value = config.callRetentionDays;
        break;
      case 'subscription-expiring-days':
        value = config.subscriptionExpiringDays;
        break;
      case 'request-timeout':
        value = config.requestTimeout;
        break;
      case 'max-connections-per-ip':
        value = config.maxConnectionsPerIp;
        break;
      case 'refresh-grace':
        value = config.refreshGrace;
        break;
      case 'metrics-app-limit':
        value = config.metricsAppLimit;
        break;
      case 'admin-port':
        value = config.adminPort ?? null;
        break;
      case 'admin-host':
        value = config.adminHost;
        break;
      case 'seller-directory':
        value = config.sellerDirectory?.url ?? null;
        break;
      case 'seller-directory-timeout-ms':
        value = config.sellerDirectory?.timeoutMs ?? DEFAULT_SELLER_DIRECTORY_TIMEOUT_MS;
        break;
      case 'redis':
        value = config.redisUrl === undefined ? null : maskUrl(config.redisUrl);
        viaFile('redis-url-file', 'SHOUQUAN_REDIS_URL_FILE');
        break;
      default: {
        const r = raw(flag, envName);
        value = r === null ? null : /url|redis|database/i.test(flag) ? maskUrl(r) : r;
      }
    }
    const row: EffectiveSetting = { setting: flag, env: envName, value, source: src };
    if (src === 'file' && file) row.line = file.lines[via ?? flag];
    if (via) row.via = via;
    out.push(row);
    const secret = SECRETS_WITHOUT_FLAG[flag];
    if (secret) {
      // The secret has no flag: only its variable or a file (masked).
      const [name, secretEnv, fileFlag, fileEnv] = secret;
      const fromEnv = env[secretEnv] ? 'env' : undefined;
      const fileSrc = raw(fileFlag, fileEnv) !== null ? source(fileFlag, fileEnv) : undefined;
      const secretRow: EffectiveSetting = {
        setting: name,
        env: secretEnv,
        value: fromEnv || fileSrc ? '***' : null,
        source: fromEnv ?? fileSrc ?? 'default',
      };
      if (!fromEnv && fileSrc) secretRow.via = fileFlag;
      if (secretRow.source === 'file' && file) secretRow.line = file.lines[fileFlag];
      out.push(secretRow);
    }
  }
  return out;
}
