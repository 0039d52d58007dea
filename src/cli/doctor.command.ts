import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { DEFAULT_DATABASE_URL, envDatabaseUrl, type ServeConfig } from '../config.js';
import { loadServeConfig } from '../config-file.js';
import { loadGatewayOptions } from '../gateway/cli.js';
import { redactDbUrl } from '../runtime.js';
import { migrationStatus, openDatabase, parseDatabaseUrl } from '../storage/kysely/database.js';
import { parseFlags, type Out } from './cli-kit.js';

export const DOCTOR_HELP = `Usage: shouquan doctor [--database URL] [--config FILE] [--json]

Check what "shouquan serve" would run with, change nothing, and say what to fix:
  settings     the serve settings from SHOUQUAN_* variables, the config file (and --database) are valid,
               including the profile and gateway files they name
  database     the database exists and answers
  migrations   none pending (serve applies them at start) and none unknown (a newer version's)
  clock        this machine's clock is not behind what the database already holds (tokens,
               audit entries) and, on PostgreSQL, within 2 s of the database server's clock
  secret key   the server's key for keyed hashes is in the database (docs/adr/0003) and well formed
Exit 0 when nothing failed (warnings allowed), 1 when a check failed.
  --database URL   sqlite:PATH or postgres://… (env SHOUQUAN_DATABASE_URL; default ${DEFAULT_DATABASE_URL})
  --config FILE    the JSON or TOML file of serve settings (env SHOUQUAN_CONFIG)
  --json           print {"ok","checks":[{"name","status","detail","fix"}]} (status ok, warn or fail)`;

/** One finding of `shouquan doctor`. */
export interface DoctorCheck {
  name: 'settings' | 'database' | 'migrations' | 'clock' | 'secret key';
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** Largest clock difference to the PostgreSQL server that is still fine, ms. */
const MAX_DB_CLOCK_SKEW_MS = 2000;

/** Run every check against the environment and a database URL (also used by tests). */
export async function runDoctor(
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv = process.env,
  now: () => number = Date.now,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  let config: ServeConfig | undefined;
  try {
    config = loadServeConfig(flags, env).config;
    loadGatewayOptions(config.gatewayConfig);
    checks.push({
      name: 'settings',
      status: 'ok',
      detail: `profile ${config.profile.name}, issuer ${config.issuer}, database ${redactDbUrl(config.databaseUrl)}`,
    });
  } catch (e) {
    checks.push({
      name: 'settings',
      status: 'fail',
      detail: (e as Error).message,
      fix: 'correct the flag, its SHOUQUAN_* variable or the config file line named above ("shouquan serve --help" lists them; "shouquan config print" shows where each came from)',
    });
  }
  const url =
    config?.databaseUrl ??
    (typeof flags.database === 'string' ? flags.database : envDatabaseUrl(env) || DEFAULT_DATABASE_URL);
  let parsed;
  try {
    parsed = parseDatabaseUrl(url);
  } catch (e) {
    checks.push({
      name: 'database',
      status: 'fail',
      detail: (e as Error).message,
      fix: 'use sqlite:PATH or postgres://USER:PASSWORD@HOST:5432/DB',
    });
    return checks;
  }
  if (parsed.dialect === 'sqlite' && parsed.target !== ':memory:' && !existsSync(parsed.target)) {
    checks.push({
      name: 'database',
      status: 'fail',
      detail: `${url} does not exist`,
      fix: `run "shouquan migrate --database ${url}" (or start "shouquan serve", which creates it)`,
    });
    return checks;
  }
  let opened;
  try {
    opened = openDatabase(url);
    await sql`select 1`.execute(opened.db);
    checks.push({ name: 'database', status: 'ok', detail: `${redactDbUrl(url)} answers (${parsed.dialect})` });
  } catch (e) {
    await opened?.db.destroy().catch(() => {});
    checks.push({
      name: 'database',
      status: 'fail',
      detail: `${redactDbUrl(url)}: ${(e as Error).message}`,
      fix:
        parsed.dialect === 'postgres'
          ? 'check that PostgreSQL runs, the host, port, user, password and database name, and that this machine may connect (pg_hba.conf)'
          : 'check the file path and its permissions',
    });
    return checks;
  }
  const { db, dialect } = opened;
  try {
    const m = await migrationStatus(db, dialect);
    if (m.unknown.length)
      checks.push({
        name: 'migrations',
        status: 'fail',
        detail: `unknown to this version: ${m.unknown.join(', ')} (a newer shouquan upgraded this database)`,
        fix: 'run the newer version, or restore the backup taken before that upgrade (docs/operations.md#upgrades-and-rollbacks)',
      });
    else if (m.pending.length)
      checks.push({
        name: 'migrations',
        status: 'warn',
        detail: `pending: ${m.pending.join(', ')}`,
        fix: `back up, then run "shouquan migrate --database ${redactDbUrl(url)}" (serve also applies them at start)`,
      });
    else checks.push({ name: 'migrations', status: 'ok', detail: `all ${m.applied.length} applied` });

    // The clock: data written earlier must not lie in this machine's future.
    const t = now();
    const newest = async (table: 'tokens' | 'audit_log' | 'apps'): Promise<number> => {
      try {
        const r = await sql<{ at: number | null }>`select max(created_at) as at from ${sql.table(table)}`.execute(db);
        return Number(r.rows[0]?.at ?? 0);
      } catch {
        return 0;
      }
    };
    const latest = Math.max(await newest('tokens'), await newest('apps'), await newestAudit(db));
    const clockProblems: string[] = [];
    if (latest > t + 60_000)
      clockProblems.push(
        `the database holds a record from ${new Date(latest).toISOString()}, ${Math.round((latest - t) / 1000)} s after this machine's clock (${new Date(t).toISOString()})`,
      );
    let dbSkew: number | undefined;
    if (dialect === 'postgres') {
      const r = await sql<{
        ms: string | number;
      }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as ms`.execute(db);
      dbSkew = Number(r.rows[0]?.ms) - now();
      if (Math.abs(dbSkew) > MAX_DB_CLOCK_SKEW_MS)
        clockProblems.push(
          `PostgreSQL's clock is ${Math.round(dbSkew)} ms ${dbSkew > 0 ? 'ahead of' : 'behind'} this machine's`,
        );
    }
    checks.push(
      clockProblems.length
        ? {
            name: 'clock',
            status: 'fail',
            detail: clockProblems.join('; '),
            fix: "synchronise the clocks with NTP (timedatectl set-ntp true, or chrony): token and code lifetimes are measured on each node's clock",
          }
        : {
            name: 'clock',
            status: 'ok',
            detail: `${new Date(t).toISOString()}${dbSkew === undefined ? '' : `, ${Math.round(dbSkew)} ms from PostgreSQL's`}, not behind the newest record`,
          },
    );

    let key: string | undefined;
    try {
      const r = await sql<{ value: string }>`select value from settings where key = 'secret_key'`.execute(db);
      key = r.rows[0]?.value;
    } catch {
      key = undefined;
    }
    if (key === undefined)
      checks.push({
        name: 'secret key',
        status: 'warn',
        detail: 'no secret key in the database yet',
        fix: 'start "shouquan serve" once (or run "shouquan app create"): the key is made then. Never copy apps between databases without it',
      });
    else if (!/^[0-9a-f]{64}$/.test(key))
      checks.push({
        name: 'secret key',
        status: 'fail',
        detail: 'the stored secret key is not 32 bytes of hex',
        fix: 'restore the settings row secret_key from a backup: app secrets and sealed signing secrets depend on it (docs/adr/0003)',
      });
    else
      checks.push({
        name: 'secret key',
        status: 'ok',
        detail: 'present (32 bytes, in the settings table; it is in every database backup)',
      });
  } finally {
    await db.destroy();
  }
  return checks;
}

async function newestAudit(db: ReturnType<typeof openDatabase>['db']): Promise<number> {
  try {
    const r = await sql<{ at: number | null }>`select max(at) as at from audit_log`.execute(db);
    return Number(r.rows[0]?.at ?? 0);
  } catch {
    return 0;
  }
}

/** `shouquan doctor`. */
export async function doctorCommand(args: string[], out: Out): Promise<number> {
  const values = parseFlags(args, { database: { type: 'string' }, config: { type: 'string' } }, 'doctor');
  if (values.help) return (out.log(DOCTOR_HELP), 0);
  const flags: Record<string, string> = {};
  if (typeof values.database === 'string') flags.database = values.database;
  if (typeof values.config === 'string') flags.config = values.config;
  const checks = await runDoctor(flags);
  const ok = checks.every((c) => c.status !== 'fail');
  if (values.json) out.log(JSON.stringify({ ok, checks }));
  else {
    for (const c of checks) {
      out.log(`${c.status === 'fail' ? 'FAIL' : c.status.padEnd(4)}  ${c.name.padEnd(11)} ${c.detail}`);
      if (c.fix) out.log(`      ${''.padEnd(11)} fix: ${c.fix}`);
    }
    out.log(ok ? 'no problems found' : 'problems found: see "fix" above');
  }
  return ok ? 0 : 1;
}
