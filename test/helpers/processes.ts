import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { rmSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let entry: Promise<string[]> | undefined;

/**
 * How to start the CLI from source. Loading every module through tsx costs seconds per process,
 * so the CLI is bundled once per test process with esbuild (tsx's own compiler; packages stay
 * external) into .tmp/; without esbuild it falls back to tsx.
 */
function cliEntry(): Promise<string[]> {
  entry ??= (async () => {
    try {
      const esbuild = (await import('esbuild' as string)) as { build(o: Record<string, unknown>): Promise<unknown> };
      const outfile = join(root, '.tmp', `cli-${process.pid}.mjs`);
      await esbuild.build({ entryPoints: [join(root, 'test/helpers/cli-entry.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'silent' });
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
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL (kill -9) and wait for exit. */
  kill9(): Promise<void>;
}

/** Start `shouquan serve` as a real process on a free port; resolves once it listens. */
export async function spawnServer(databaseUrl: string, extra: string[] = []): Promise<ServerProcess> {
  const proc = spawn(
    process.execPath,
    [...(await cliEntry()), 'serve', '--database', databaseUrl, '--host', '127.0.0.1', '--port', '0', '--json', '--log-level', 'silent', '--janitor-interval', '0', ...extra],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        proc.stdout!.off('data', onData);
        try {
          resolve(JSON.parse(out.slice(0, nl)).url);
        } catch (e) {
          reject(new Error(`unexpected start-up output: ${out} ${stderr}`));
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  proc.stdout!.resume();
  const exited = once(proc, 'exit');
  return {
    url,
    proc,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await exited;
    },
    async kill9() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
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
      headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form && { 'content-type': 'application/x-www-form-urlencoded' }) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.keep(res);
    return res;
  }
}
