import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** PostgreSQL for tests: CI has it at 127.0.0.1:5432 (trust auth, database `test`). */
export const PG_URL = process.env.SHOUQUAN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgProbe: Promise<boolean> | undefined;

/** Does a PostgreSQL server answer? (checked once per process) */
export function postgresAvailable(): Promise<boolean> {
  pgProbe ??= new Promise<boolean>((resolve) => {
    const url = new URL(PG_URL);
    const sock = net.connect({ host: url.hostname, port: Number(url.port || 5432) });
    sock.setTimeout(1000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
  return pgProbe;
}

/** Why PostgreSQL tests are skipped (the message test runners print). */
export const PG_SKIP = `PostgreSQL not reachable at ${PG_URL.replace(/\/\/[^@]*@/, '//')}: PostgreSQL tests skipped`;

export interface TestDatabase {
  dialect: 'sqlite' | 'postgres';
  url: string;
  /** Drop what the test made. */
  cleanup(): Promise<void>;
}

/** A fresh, empty SQLite file. */
export function freshSqlite(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'shouquan-test-'));
  return {
    dialect: 'sqlite',
    url: `sqlite:${join(dir, 'test.db')}`,
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh PostgreSQL schema in the test database, used through search_path. */
export async function freshPostgres(): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dialect: 'postgres',
    url: url.toString(),
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

/**
 * The dialects to run a suite on: SQLite always, PostgreSQL when it answers.
 * Each entry says whether to skip and why, for `describe(name, { skip }, …)`.
 */
export async function testDialects(): Promise<
  Array<{ name: 'sqlite' | 'postgres'; skip: string | false; fresh: () => Promise<TestDatabase> }>
> {
  const pgUp = await postgresAvailable();
  return [
    { name: 'sqlite', skip: false, fresh: async () => freshSqlite() },
    { name: 'postgres', skip: pgUp ? false : PG_SKIP, fresh: freshPostgres },
  ];
}

/** Redis for tests: it runs at 127.0.0.1:6379 on the development and CI machines (.ci/run). */
export const REDIS_URL = process.env.SHOUQUAN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

let redisProbe: Promise<boolean> | undefined;

/** Does a Redis server answer a PING? (checked once per process) */
export function redisAvailable(): Promise<boolean> {
  redisProbe ??= new Promise<boolean>((resolve) => {
    const url = new URL(REDIS_URL);
    const sock = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    let answer = '';
    sock.setTimeout(1000);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      answer += d.toString();
      if (answer.includes('\r\n')) {
        sock.destroy();
        // +PONG, or -NOAUTH when a password is needed (the URL carries it; the store will say if it is wrong).
        resolve(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH'));
      }
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
  return redisProbe;
}

/** Why Redis tests are skipped (the message test runners print). */
export const REDIS_SKIP = `Redis not reachable at ${REDIS_URL.replace(/\/\/[^@]*@/, '//')} (set SHOUQUAN_TEST_REDIS_URL, or start redis-server): Redis tests skipped`;

/** NATS with JetStream for tests: it runs at 127.0.0.1:4222 on the development machines. */
export const NATS_URL = process.env.SHOUQUAN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

let natsProbe: Promise<boolean> | undefined;

/** Does a NATS server answer (its INFO line)? (checked once per process) */
export function natsAvailable(): Promise<boolean> {
  natsProbe ??= new Promise<boolean>((resolve) => {
    const url = new URL(NATS_URL);
    const sock = net.connect({ host: url.hostname, port: Number(url.port || 4222) });
    sock.setTimeout(1000);
    sock.once('data', (d) => {
      sock.destroy();
      resolve(String(d).startsWith('INFO'));
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
  return natsProbe;
}

/** Why NATS tests are skipped (the message test runners print). */
export const NATS_SKIP = `NATS not reachable at ${NATS_URL} (set SHOUQUAN_TEST_NATS_URL, or start nats-server -js): NATS JetStream tests skipped`;
