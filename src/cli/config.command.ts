import type { ParseArgsConfig } from 'node:util';
import { BOOLEAN_SERVE_FLAGS, SERVE_SETTINGS } from '../config.js';
import { effectiveSettings, loadServeConfig, type EffectiveSetting } from '../config-file.js';
import { parseFlags, table, UsageError, type Out } from './cli-kit.js';

export const CONFIG_PRINT_HELP = `Usage: shouquan config print [--config FILE] [serve flags…] [--json]

Show every setting "shouquan serve" would run with, given the same flags, SHOUQUAN_* variables and
config file, and where each value came from: flag, env (its variable), file (the config file and
line) or default. Secrets are masked: a URL's password shows as ***, the seller directory's secret
as *** (set) or none. Nothing is started or changed. A bad value is a usage error (exit 2).
  --config FILE    a JSON or TOML file of serve settings (env SHOUQUAN_CONFIG)
  serve flags      any "shouquan serve" flag, e.g. --port 8080 (see "shouquan serve --help")
  --json           print {"config_file","settings":{"<setting>":{"value","source","env","line"?,"via"?}}}`;

/** The serve flags (each as `serve` parses it). */
export function serveFlagOptions(): ParseArgsConfig['options'] {
  const options: ParseArgsConfig['options'] = {};
  for (const [flag] of SERVE_SETTINGS)
    options[flag] = BOOLEAN_SERVE_FLAGS.includes(flag) ? { type: 'boolean' } : { type: 'string' };
  return options;
}

function show(v: EffectiveSetting['value']): string {
  if (v === null) return '-';
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

function where(s: EffectiveSetting, file?: string): string {
  const via = s.via ? ` via ${s.via}` : '';
  if (s.source === 'flag') return `flag --${s.via ?? s.setting}`;
  if (s.source === 'env') return `env ${s.via ? `${s.env}_FILE` : s.env}`;
  if (s.source === 'file') return `file ${file ?? ''}:${s.line ?? 1}${via}`;
  return 'default';
}

/** `shouquan config print`. */
export async function configCommand(
  sub: string | undefined,
  args: string[],
  out: Out,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (sub === undefined || sub === '--help' || sub === '-h') {
    out.log(CONFIG_PRINT_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'print') throw new UsageError(`unknown command "config ${sub}" (try "shouquan config print --help")`);
  const values = parseFlags(args, serveFlagOptions(), 'config print');
  if (values.help) return (out.log(CONFIG_PRINT_HELP), 0);
  const flags = values as Record<string, string | boolean | undefined>;
  let loaded;
  try {
    loaded = loadServeConfig(flags, env);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const settings = effectiveSettings(loaded.config, flags, env, loaded.file);
  if (values.json) {
    out.log(
      JSON.stringify({
        config_file: loaded.file?.path ?? null,
        settings: Object.fromEntries(
          settings.map((s) => [
            s.setting,
            {
              value: s.value,
              source: s.source,
              env: s.env,
              ...(s.line !== undefined && { line: s.line }),
              ...(s.via && { via: s.via }),
            },
          ]),
        ),
      }),
    );
    return 0;
  }
  out.log(
    table([
      ['setting', 'value', 'source'],
      ...settings.map((s) => [s.setting, show(s.value), where(s, loaded.file?.path)]),
    ]),
  );
  return 0;
}
