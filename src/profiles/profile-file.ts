import { readFileSync } from 'node:fs';
import { FRAGMENT_REDIRECTS, MAX_REFRESH_GRACE_SECONDS, REDIRECT_RULES, type Profile } from './profile.js';

/** Response sources a field may draw from (mirrors `ResponseSource`). */
const SOURCES = [
  'access_token',
  'token_type',
  'expires_in',
  'refresh_token',
  'refresh_expires_in',
  'scope',
  'seller_id',
  'store_id',
  'error_status',
];
/** Grant types the core can serve at the token endpoint. */
const GRANTS = ['authorization_code', 'refresh_token'];
/** Paths the server uses for itself; a profile endpoint may not take them. */
const RESERVED = ['/oauth/interaction/', '/assets/', '/api/', '/.well-known/', '/sandbox/'];
const RESERVED_EXACT = ['/healthz', '/readyz', '/metrics'];

const TOP_LEVEL = [
  'extends',
  'name',
  'title',
  'defaultLang',
  'paths',
  'params',
  'authorize',
  'token',
  'scopes',
  'lifetimes',
  'refresh',
  'redirectRule',
  'requirePkce',
  'tokenFormat',
  'tokenType',
  'responses',
  'errorStatusCodes',
  'gateway',
  'grants',
  'scopeChoice',
];

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; arrays and scalars replace. */
function deepMerge(base: Json, over: Json): Json {
  if (!isObj(base) || !isObj(over)) return over;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

/**
 * Check that a parsed JSON value is a complete, usable Profile. Returns the list of problems,
 * each naming the field (`paths.token must be …`); empty when the profile is valid.
 */
export function profileProblems(p: Json): string[] {
  const errs: string[] = [];
  const show = (v: Json) => (v === undefined ? 'missing' : JSON.stringify(v));
  const str = (path: string, v: Json, opts: { pattern?: RegExp; hint?: string } = {}) => {
    if (typeof v !== 'string' || v === '' || (opts.pattern && !opts.pattern.test(v))) {
      errs.push(`${path} must be ${opts.hint ?? 'a non-empty string'} (got ${show(v)})`);
      return false;
    }
    return true;
  };
  const oneOf = (path: string, v: Json, allowed: readonly string[]) => {
    if (typeof v !== 'string' || !allowed.includes(v))
      errs.push(`${path} must be one of ${allowed.map((a) => `"${a}"`).join(', ')} (got ${show(v)})`);
  };
  const bool = (path: string, v: Json, optional = false) => {
    if (optional && v === undefined) return;
    if (typeof v !== 'boolean') errs.push(`${path} must be true or false (got ${show(v)})`);
  };
  const strList = (path: string, v: Json, opts: { nonEmpty?: boolean; allowed?: readonly string[] } = {}) => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '') || (opts.nonEmpty && v.length === 0)) {
      errs.push(`${path} must be ${opts.nonEmpty ? 'a non-empty' : 'an'} array of non-empty strings (got ${show(v)})`);
      return [];
    }
    if (opts.allowed)
      for (const x of v)
        if (!opts.allowed.includes(x))
          errs.push(`${path} may only contain ${opts.allowed.map((a) => `"${a}"`).join(', ')} (got "${x}")`);
    return v as string[];
  };
  const obj = (path: string, v: Json): Record<string, Json> => {
    if (!isObj(v)) {
      errs.push(`${path} must be an object (got ${show(v)})`);
      return {};
    }
    return v;
  };
  const int = (path: string, v: Json, max?: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || (max !== undefined && v > max)) {
      errs.push(
        `${path} must be a whole number of seconds from 1${max !== undefined ? ` to ${max}` : ''} (got ${show(v)})`,
      );
    }
  };

  if (!isObj(p)) return ['the profile must be a JSON object'];
  for (const k of Object.keys(p))
    if (!TOP_LEVEL.includes(k)) errs.push(`unknown field "${k}" (fields: ${TOP_LEVEL.join(', ')})`);
  str('name', p.name, {
    pattern: /^[a-z0-9][a-z0-9_-]{0,39}$/,
    hint: 'lower-case letters, digits, _ or - (at most 40)',
  });
  str('title', p.title);
  oneOf('defaultLang', p.defaultLang, ['en', 'zh-CN']);

  const paths = obj('paths', p.paths);
  const seen = new Map<string, string>();
  for (const k of ['authorize', 'token', 'revoke', 'introspect']) {
    const v = paths[k];
    if (
      !str(`paths.${k}`, v, {
        pattern: /^\/[A-Za-z0-9._~\-/]*$/,
        hint: 'a path starting with "/" (letters, digits, . _ ~ - /)',
      })
    )
      continue;
    const path = v as string;
    if (RESERVED.some((r) => path.startsWith(r)) || RESERVED_EXACT.includes(path))
      errs.push(`paths.${k} "${path}" is used by the server itself`);
    if (seen.has(path)) errs.push(`paths.${k} "${path}" is the same as paths.${seen.get(path)}`);
    seen.set(path, k);
  }

  const params = obj('params', p.params);
  strList('params.clientId', params.clientId, { nonEmpty: true });
  strList('params.clientSecret', params.clientSecret, { nonEmpty: true });

  const scopes = obj('scopes', p.scopes);
  if (isObj(p.scopes) && Object.keys(scopes).length === 0) errs.push('scopes must name at least one scope');
  for (const [name, words] of Object.entries(scopes)) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(name))
      errs.push(`scopes: "${name}" is not a valid scope name (RFC 6749 §3.3)`);
    const w = obj(`scopes.${name}`, words);
    str(`scopes.${name}.en`, w.en);
    str(`scopes.${name}.zh`, w.zh);
  }

  const authorize = obj('authorize', p.authorize);
  strList('authorize.required', authorize.required);
  if (authorize.requiredFor !== undefined) {
    const rf = obj('authorize.requiredFor', authorize.requiredFor);
    for (const [k, v] of Object.entries(rf)) {
      if (k !== 'code' && k !== 'token')
        errs.push(`authorize.requiredFor may only have "code" and "token" (got "${k}")`);
      strList(`authorize.requiredFor.${k}`, v);
    }
  }
  strList('authorize.responseTypes', authorize.responseTypes, { nonEmpty: true, allowed: ['code', 'token'] });
  if (
    str('authorize.defaultScope', authorize.defaultScope) &&
    isObj(p.scopes) &&
    !(String(authorize.defaultScope) in scopes)
  ) {
    errs.push(`authorize.defaultScope "${String(authorize.defaultScope)}" is not one of scopes`);
  }
  strList('authorize.views', authorize.views);
  if (authorize.fragmentRedirect !== undefined)
    oneOf('authorize.fragmentRedirect', authorize.fragmentRedirect, FRAGMENT_REDIRECTS);

  const token = obj('token', p.token);
  const grants = strList('token.grantTypes', token.grantTypes, { allowed: GRANTS });
  const methods = obj('token.methods', token.methods);
  for (const [g, m] of Object.entries(methods)) {
    if (!GRANTS.includes(g)) errs.push(`token.methods: unknown grant type "${g}" (known: ${GRANTS.join(', ')})`);
    strList(`token.methods.${g}`, m, { nonEmpty: true, allowed: ['GET', 'POST'] });
  }
  for (const g of grants)
    if (isObj(token.methods) && !(g in methods))
      errs.push(`token.methods.${g} is missing (say which of "GET", "POST" it accepts)`);
  bool('token.queryOnPost', token.queryOnPost, true);
  if (token.unsupportedGrantHints !== undefined) {
    for (const [g, h] of Object.entries(obj('token.unsupportedGrantHints', token.unsupportedGrantHints)))
      str(`token.unsupportedGrantHints.${g}`, h);
  }

  const lifetimes = obj('lifetimes', p.lifetimes);
  int('lifetimes.code', lifetimes.code, 600);
  int('lifetimes.access', lifetimes.access);
  int('lifetimes.refresh', lifetimes.refresh);

  const refresh = obj('refresh', p.refresh);
  bool('refresh.rotate', refresh.rotate);
  bool('refresh.issueWithoutRefreshGrant', refresh.issueWithoutRefreshGrant, true);
  const grace = refresh.graceSeconds;
  if (
    grace !== undefined &&
    (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > MAX_REFRESH_GRACE_SECONDS)
  ) {
    errs.push(
      `refresh.graceSeconds must be a whole number of seconds from 0 to ${MAX_REFRESH_GRACE_SECONDS} (got ${show(grace)})`,
    );
  }

  oneOf('redirectRule', p.redirectRule, REDIRECT_RULES);
  bool('requirePkce', p.requirePkce);
  oneOf('tokenFormat', p.tokenFormat, ['base64url', 'hex32']);
  str('tokenType', p.tokenType);

  const responses = obj('responses', p.responses);
  for (const shape of ['code', 'refresh', 'errorExtras']) {
    const list = responses[shape];
    if (!Array.isArray(list)) {
      errs.push(`responses.${shape} must be an array of fields (got ${show(list)})`);
      continue;
    }
    const names = new Set<string>();
    list.forEach((f: Json, i: number) => {
      const at = `responses.${shape}[${i}]`;
      if (!isObj(f))
        return void errs.push(`${at} must be an object like {"name": "access_token", "from": "access_token"}`);
      if (!str(`${at}.name`, f.name)) return;
      if (names.has(f.name as string)) errs.push(`${at}.name "${String(f.name)}" appears twice in responses.${shape}`);
      names.add(f.name as string);
      for (const k of Object.keys(f))
        if (!['name', 'from', 'value', 'type', 'optional'].includes(k)) errs.push(`${at}: unknown key "${k}"`);
      if ('value' in f) {
        if ('from' in f) errs.push(`${at} has both "value" and "from": pick one`);
        if (typeof f.value !== 'string' && typeof f.value !== 'number')
          errs.push(`${at}.value must be a string or a number`);
      } else {
        oneOf(`${at}.from`, f.from, SOURCES);
        if (f.type !== undefined) oneOf(`${at}.type`, f.type, ['string', 'number']);
        if (f.optional !== undefined) bool(`${at}.optional`, f.optional);
      }
    });
    if (shape === 'code' && !list.some((f: Json) => isObj(f) && f.from === 'access_token'))
      errs.push('responses.code must have a field from "access_token"');
  }
  for (const k of Object.keys(responses))
    if (!['code', 'refresh', 'errorExtras', 'standardTokenFields'].includes(k))
      errs.push(`responses: unknown key "${k}"`);
  bool('responses.standardTokenFields', responses.standardTokenFields, true);
  if (p.errorStatusCodes !== undefined) {
    for (const [k, v] of Object.entries(obj('errorStatusCodes', p.errorStatusCodes))) str(`errorStatusCodes.${k}`, v);
  }
  if (p.grants !== undefined) {
    const g = obj('grants', p.grants);
    for (const k of Object.keys(g)) if (!['stores', 'reconsent'].includes(k)) errs.push(`grants: unknown key "${k}"`);
    oneOf('grants.stores', g.stores, ['one', 'several']);
    oneOf('grants.reconsent', g.reconsent, ['replace', 'add']);
  }
  if (p.scopeChoice !== undefined) {
    const c = obj('scopeChoice', p.scopeChoice);
    for (const k of Object.keys(c))
      if (!['alwaysGranted', 'bundles', 'optIn'].includes(k)) errs.push(`scopeChoice: unknown key "${k}"`);
    const known = isObj(p.scopes) ? Object.keys(scopes) : [];
    strList('scopeChoice.alwaysGranted', c.alwaysGranted, { allowed: known });
    if (c.optIn !== undefined) strList('scopeChoice.optIn', c.optIn, { allowed: known });
    if (c.bundles !== undefined)
      for (const [k, v] of Object.entries(obj('scopeChoice.bundles', c.bundles))) {
        if (!known.includes(k)) errs.push(`scopeChoice.bundles: "${k}" is not one of scopes`);
        strList(`scopeChoice.bundles.${k}`, v, { nonEmpty: true, allowed: known });
      }
  }
  if (p.gateway !== undefined) {
    const g = obj('gateway', p.gateway);
    for (const k of Object.keys(g))
      if (!['methodPrefix', 'scopePermissions'].includes(k)) errs.push(`gateway: unknown key "${k}"`);
    if (typeof g.methodPrefix !== 'string' || !/^[a-z][a-z0-9_]*$/.test(g.methodPrefix))
      errs.push('gateway.methodPrefix must be lowercase letters, digits or _ (e.g. "psdm")');
    if (g.scopePermissions !== undefined) {
      for (const [k, v] of Object.entries(obj('gateway.scopePermissions', g.scopePermissions))) {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
          errs.push(`gateway.scopePermissions.${k} must be a list of permission names`);
      }
    }
  }
  return errs;
}

/**
 * Turn parsed JSON into a Profile: `extends` names a shipped profile whose fields the file
 * overrides (objects merge, arrays replace); then every field is checked.
 */
export function profileFromJson(raw: Json, builtins: Record<string, Profile>, source: string): Profile {
  let value = raw;
  if (isObj(raw) && raw.extends !== undefined) {
    const baseName = raw.extends;
    const base = typeof baseName === 'string' ? builtins[baseName] : undefined;
    if (!base)
      throw new Error(
        `profile file ${source}: extends must name a shipped profile (${Object.keys(builtins).join(', ')}), got ${JSON.stringify(baseName)}`,
      );
    const { extends: _ignored, ...rest } = raw;
    value = deepMerge(JSON.parse(JSON.stringify(base)) as Json, rest);
  }
  const problems = profileProblems(value);
  if (problems.length > 0) {
    throw new Error(
      `profile file ${source} is not a valid profile:\n  - ${problems.join('\n  - ')}\n(see docs/profiles.md)`,
    );
  }
  return value as Profile;
}

/** Read and check an operator's JSON profile file (`--profile ./my-platform.json`). */
export function loadProfileFile(path: string, builtins: Record<string, Profile>): Profile {
  if (!path.endsWith('.json'))
    throw new Error(
      `profile file ${path} must be JSON and end in .json (TypeScript profiles are added to src/profiles/registry.ts)`,
    );
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `profile file ${path} does not exist`
        : `cannot read profile file ${path}: ${(e as Error).message}`,
    );
  }
  let raw: Json;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`profile file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return profileFromJson(raw, builtins, path);
}
