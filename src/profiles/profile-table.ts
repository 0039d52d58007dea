import { grantRules, refreshGraceOf, type Profile, type ResponseField } from './profile.js';

/** Markers around the generated part of docs/profiles.md. */
export const TABLE_BEGIN =
  '<!-- BEGIN generated profile tables: node --import tsx scripts/render-profile-table.ts (a test compares) -->';
export const TABLE_END = '<!-- END generated profile tables -->';

const code = (s: string | number) => `\`${s}\``;
const human = (seconds: number): string => {
  if (seconds % 86400 === 0) return `${seconds} (${seconds / 86400} d)`;
  if (seconds % 3600 === 0) return `${seconds} (${seconds / 3600} h)`;
  if (seconds % 60 === 0) return `${seconds} (${seconds / 60} min)`;
  return `${seconds} s`;
};

/** One response field as the table shows it: its name and where its value comes from. */
function describeField(p: Profile, f: ResponseField): string {
  if ('value' in f) return `${code(f.name)} ${JSON.stringify(f.value)}`;
  switch (f.from) {
    case 'token_type':
      return `${code(f.name)} "${p.tokenType}"`;
    case 'expires_in':
      return `${code(f.name)} ${p.lifetimes.access}`;
    case 'refresh_expires_in':
      return `${code(f.name)} ${p.lifetimes.refresh}`;
    case 'seller_id':
      return `${code(f.name)} (seller id, ${f.type ?? 'number'})`;
    case 'store_id':
      return `${code(f.name)} (store id, ${f.type ?? 'number'})`;
    case 'error_status':
      return `${code(f.name)} (dialect status code)`;
    default:
      return f.from === f.name ? code(f.name) : `${code(f.name)} (${f.from})`;
  }
}

const fields = (p: Profile, list: ResponseField[]) =>
  list.length === 0 ? '—' : list.map((f) => describeField(p, f)).join(', ');

const RULES: Record<Profile['redirectRule'], string> = {
  exact: 'exact string',
  'same-host': 'same host as the callback',
  'registrable-domain': 'same registrable (top-level) domain',
  'host-or-registrable-domain': 'same host or registrable domain',
};

/** The rows of the comparison table: a label and how to render it for one profile. */
const ROWS: Array<[string, (p: Profile) => string]> = [
  ['platform', (p) => p.title],
  ['paths', (p) => `${code(p.paths.authorize)}, ${code(p.paths.token)}`],
  [
    'client params',
    (p) =>
      `${code(p.params.clientId[0] ?? '')}/${code(p.params.clientSecret[0] ?? '')} (also ${p.params.clientId.slice(1).map(code).join(', ')})`,
  ],
  [
    'required at authorize',
    (p) => {
      const extra = Object.entries(p.authorize.requiredFor ?? {}).map(
        ([t, names]) => `${names.join(', ')} (response_type=${t})`,
      );
      return [...p.authorize.required, ...extra].join(', ');
    },
  ],
  ['`view`', (p) => (p.authorize.views.length ? p.authorize.views.join(' / ') : '—')],
  [
    'token request',
    (p) =>
      Object.entries(p.token.methods)
        .map(([g, m]) => `${g}: ${m.join(' or ')}`)
        .join('; ') + (p.token.queryOnPost ? '; query parameters accepted on POST' : ''),
  ],
  ['code response', (p) => fields(p, p.responses.code)],
  [
    'refresh response',
    (p) =>
      p.token.grantTypes.includes('refresh_token')
        ? fields(p, p.responses.refresh)
        : `not at the token endpoint${p.token.unsupportedGrantHints?.refresh_token ? ` (${p.token.unsupportedGrantHints.refresh_token})` : ''}`,
  ],
  [
    '`--standard-token-fields` (`responses.standardTokenFields`)',
    (p) => {
      const added = ['token_type', 'expires_in'].filter((n) => !p.responses.code.some((f) => f.name === n));
      const state = p.responses.standardTokenFields ? 'on' : 'off';
      return added.length === 0
        ? `${state}; nothing to add: the profile writes \`token_type\` and \`expires_in\``
        : `${state}; when on, adds ${added.map(code).join(' and ')} to the code and refresh answers`;
    },
  ],
  [
    'refresh rotation',
    (p) =>
      p.token.grantTypes.includes('refresh_token')
        ? p.refresh.rotate
          ? 'yes: the old refresh token dies'
          : 'no: the refresh token stays valid'
        : '—',
  ],
  [
    'refresh grace window (`refresh.graceSeconds`)',
    (p) =>
      p.refresh.rotate
        ? refreshGraceOf(p) > 0
          ? `${human(refreshGraceOf(p))}: a retry gets the same successor`
          : '0: every reuse revokes'
        : '— (no rotation)',
  ],
  ['code lifetime', (p) => human(p.lifetimes.code)],
  ['access / refresh lifetime', (p) => `${human(p.lifetimes.access)} / ${human(p.lifetimes.refresh)}`],
  [
    'client-side flow (`response_type=token`)',
    (p) => (p.authorize.responseTypes.includes('token') ? 'yes' : 'no: `unsupported_response_type`'),
  ],
  [
    'stores per grant',
    (p) =>
      grantRules(p).stores === 'several'
        ? 'several: `store_id` checkboxes, one grant covers them'
        : 'one: the seller picks one store',
  ],
  [
    'later consent (same seller, same app)',
    (p) =>
      grantRules(p).reconsent === 'add'
        ? 'adds its stores to the live grant; earlier tokens keep working'
        : 'replaces the live grant: the last authorization wins',
  ],
  [
    'permissions on the consent page',
    (p) =>
      p.scopeChoice
        ? `one \`scope\` checkbox per package; always granted: ${p.scopeChoice.alwaysGranted.map(code).join(', ') || '—'}${
            Object.keys(p.scopeChoice.bundles ?? {}).length
              ? `; ${Object.entries(p.scopeChoice.bundles ?? {})
                  .map(([b, parts]) => `${code(b)} = ${parts.map(code).join(' ')}`)
                  .join('; ')}`
              : ''
          }${p.scopeChoice.optIn?.length ? `; unticked until chosen: ${p.scopeChoice.optIn.map(code).join(', ')}` : ''}`
        : 'the requested scopes, all or nothing',
  ],
  ['redirect_uri rule', (p) => code(p.redirectRule) + ': ' + RULES[p.redirectRule]],
  [
    'tokens in a fragment go to (`authorize.fragmentRedirect`)',
    (p) =>
      !p.authorize.responseTypes.includes('token')
        ? '— (no client-side flow)'
        : (p.authorize.fragmentRedirect ?? 'redirect-rule') === 'exact-callback'
          ? "`exact-callback`: only a registered callback's exact origin and path"
          : '`redirect-rule`: wherever the redirect_uri rule allows (per app: `app gateway --fragment-redirect exact-callback`)',
  ],
  ['token format', (p) => (p.tokenFormat === 'hex32' ? '32 hex (128 bits)' : 'base64url (256 bits)')],
  ['error extras', (p) => fields(p, p.responses.errorExtras)],
  ['page language', (p) => p.defaultLang],
];

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The comparison table of docs/profiles.md, rendered from the profile objects. */
export function renderProfileTable(profiles: Profile[]): string {
  const head = `| | ${profiles.map((p) => code(p.name)).join(' | ')} |`;
  const sep = `|---|${profiles.map(() => '---').join('|')}|`;
  const rows = ROWS.map(([label, render]) => `| ${label} | ${profiles.map((p) => cell(render(p))).join(' | ')} |`);
  return [head, sep, ...rows].join('\n');
}

/** The dialect status codes (`errorStatusCodes`) of the profiles that have them. */
export function renderStatusCodeTable(profiles: Profile[]): string {
  const withCodes = profiles.filter(
    (p) => p.errorStatusCodes && p.responses.errorExtras.some((f) => 'from' in f && f.from === 'error_status'),
  );
  if (withCodes.length === 0) return '';
  const errors = [...new Set(withCodes.flatMap((p) => Object.keys(p.errorStatusCodes ?? {})))];
  const head = `| RFC 6749 \`error\` | ${withCodes.map((p) => `${code(p.name)} ${code(p.responses.errorExtras.find((f) => 'from' in f && f.from === 'error_status')?.name ?? '')}`).join(' | ')} |`;
  const sep = `|---|${withCodes.map(() => '---').join('|')}|`;
  const rows = errors.map(
    (e) =>
      `| ${e === '*' ? 'any other (e.g. `server_error`)' : code(e)} | ${withCodes.map((p) => (p.errorStatusCodes?.[e] ? code(p.errorStatusCodes[e]) : '—')).join(' | ')} |`,
  );
  return [head, sep, ...rows].join('\n');
}

/** Everything between the markers of docs/profiles.md. */
export function renderGeneratedSection(profiles: Profile[]): string {
  return [
    TABLE_BEGIN,
    '',
    renderProfileTable(profiles),
    '',
    'Dialect status codes next to `error` (success is `"0000000"`):',
    '',
    renderStatusCodeTable(profiles),
    '',
    TABLE_END,
  ].join('\n');
}

/** Replace the generated section of a document (throws when the markers are missing). */
export function replaceGeneratedSection(doc: string, profiles: Profile[]): string {
  const start = doc.indexOf(TABLE_BEGIN);
  const end = doc.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start) throw new Error('docs/profiles.md lacks the generated-table markers');
  return doc.slice(0, start) + renderGeneratedSection(profiles) + doc.slice(end + TABLE_END.length);
}
