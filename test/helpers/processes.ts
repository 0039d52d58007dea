import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { rmSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let entry: Promise<string[]> | undefined;

/**
 * How to start the CLI from source. Loading every module through tsx costs seconds per process,
 * so the CLI is bundled once per test process with esbuild (tsx's own compiler; packages stay
 * external) into .tmp/; without esbuild it falls back to tsx.
 */
export function cliEntry(): Promise<string[]> {
  entry ??= (async () => {
    try {
      const esbuild = (await import('esbuild' as string)) as { build(o: Record<string, unknown>): Promise<unknown> };
      const outfile = join(root, '.tmp', `cli-${process.pid}.mjs`);
      await esbuild.build({
        entryPoints: [join(root, 'test/helpers/cli-entry.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        outfile,
        logLevel: 'silent',
      });
      process.once('exit', () => rmSync(outfile, { force: true }));
      return [outfile];
    } catch {
      return ['--import', 'tsx', join(root, 'test/helpers/cli-entry.ts')];
    }
  })();
  return entry;
}

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  /** Every stdout line so far (the start-up summary and, at --log-level info, the JSON logs). */
  lines: string[];
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL (kill -9) and wait for exit. */
  kill9(): Promise<void>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first stdout line (parsed JSON) that `match` accepts, from now or from before. */
  waitForLine(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** stderr so far. */
  stderr(): string;
}

/**
 * Start `shouquan serve` as a real process on a free port; resolves once it listens (its
 * `--json` summary line, the first stdout line with a `url`; log lines before it are kept).
 */
export async function spawnServer(
  databaseUrl: string | null,
  extra: string[] = [],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ServerProcess> {
  // `null`: no --database (the default file, relative to `cwd`).
  const database = databaseUrl === null ? [] : ['--database', databaseUrl];
  const proc = spawn(
    process.execPath,
    [
      ...(await cliEntry()),
      'serve',
      ...database,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--json',
      '--log-level',
      'silent',
      '--janitor-interval',
      '0',
      ...extra,
    ],
    { cwd: opts.cwd ?? root, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env },
  );
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  const lines: string[] = [];
  const watchers = new Set<() => void>();
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    partial += String(d);
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      lines.push(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
    for (const w of watchers) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const parsed = (line: string): Record<string, unknown> | undefined => {
    try {
      const v = JSON.parse(line);
      return v && typeof v === 'object' ? v : undefined;
    } catch {
      return undefined;
    }
  };
  const waitForLine = (match: (line: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < lines.length; seen++) {
          const v = parsed(lines[seen]!);
          if (v && match(v)) {
            watchers.delete(check);
            return resolve(v);
          }
        }
      };
      watchers.add(check);
      check();
      void exited.then(({ code, signal }) => {
        if (!watchers.has(check)) return;
        check();
        if (watchers.delete(check))
          reject(new Error(`server exited (${signal ?? code}) before the line appeared: ${stderr}`));
      });
    });
  const summary = await waitForLine((v) => typeof v.url === 'string').catch((e: Error) => {
    throw new Error(`${e.message} ${lines.join('\n')}`);
  });
  const url = summary.url as string;
  const ended = () => proc.exitCode !== null || proc.signalCode !== null;
  return {
    url,
    proc,
    lines,
    exited,
    waitForLine,
    stderr: () => stderr,
    async stop() {
      if (ended()) return;
      proc.kill('SIGTERM');
      await exited;
    },
    async kill9() {
      if (ended()) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** A cookie-keeping browser without JavaScript that sends each request to the next node in turn. */
export class RoundRobinBrowser {
  readonly cookies = new Map<string, string>();
  private next = 0;
  readonly visited: string[] = [];

  constructor(readonly nodes: string[]) {}

  private base(): string {
    const b = this.nodes[this.next % this.nodes.length]!;
    this.next++;
    this.visited.push(b);
    return b;
  }

  private keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq).trim();
      const value = (pair ?? '').slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(path: string, form?: Record<string, string>): Promise<Response> {
    const u = new URL(path, 'http://placeholder');
    const res = await fetch(`${this.base()}${u.pathname}${u.search}`, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form && { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.keep(res);
    return res;
  }
}
