/**
 * What every CLI command file shares (src/cli/*.command.ts): output, flag parsing, usage errors
 * (exit 2), the database flag, and opening the storage for one command.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_DATABASE_URL, envDatabaseUrl } from '../config.js';
import { ManagementError } from '../management/management-error.js';
import { openStorage } from '../runtime.js';
import { DuplicateError, type Storage } from '../storage/ports.js';

export type Out = { log: (s: string) => void; err: (s: string) => void };

/** A usage problem: printed as one line, exit code 2. */
export class UsageError extends Error {}

export type Values = Record<string, string | boolean | string[] | undefined>;

/** Parse a command's flags (plus --help and --json); an unknown or malformed flag is a usage error. */
export function parseFlags(args: string[], options: ParseArgsConfig['options'], command: string): Values {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '').split('\n')[0];
    throw new UsageError(`${message} (see "shouquan ${command} --help")`);
  }
}

export const databaseFlag = { database: { type: 'string' } } as const;
export const DATABASE_HELP = `  --database URL     sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL; default ${DEFAULT_DATABASE_URL})`;
export const databaseUrl = (v: unknown) => (typeof v === 'string' ? v : envDatabaseUrl() || DEFAULT_DATABASE_URL);

/** A required string flag. */
export function required(values: Values, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${flag} is required`);
  return v;
}

/** An optional string flag. */
export const optional = (values: Values, flag: string): string | undefined =>
  typeof values[flag] === 'string' ? (values[flag] as string) : undefined;

/**
 * Open the command's database, run `fn`, always close it. A refusal of the shared management
 * code (bad value, not found, taken name) is a one-line error: exit 2 for a bad value, else 1.
 */
export async function withStorage<T>(database: unknown, fn: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage(databaseUrl(database));
  try {
    return await fn(storage);
  } catch (e) {
    if (e instanceof ManagementError && e.code === 'invalid_request') throw new UsageError(e.message);
    if (e instanceof DuplicateError || e instanceof ManagementError) throw new Error(e.message);
    throw e;
  } finally {
    await storage.close();
  }
}

/** Print rows as aligned columns (text output). */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The help of a command group: every subcommand's, one after another. */
export const groupHelp = (help: Record<string, string>) => Object.values(help).join('\n\n');

/**
 * `--database`, else SHOUQUAN_DATABASE_URL, else the embedded default (the name the backup and doctor commands use).
 */
export const databaseUrlOf = databaseUrl;
