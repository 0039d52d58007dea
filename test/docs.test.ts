// The docs site (issue 5): every relative link resolves, the configuration reference matches
// SERVE_SETTINGS, and the commands marked `<!-- test: NAME -->` in the getting-started pages run
// for real, in order, in one bash session (as a reader pasting them into one terminal) against a
// spawned `shouquan serve --sandbox`; their output is compared with the answer the page shows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { once } from 'node:events';
import { replaceServeSettingsSection } from '../src/serve-settings-table.js';
import { authorizeThroughForms } from './helpers/browserless.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// Markdown: fenced blocks with their test marker and the expected output that follows them.

interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
  test?: string;
  expected?: string;
}

/**
 * Fenced blocks of a Markdown file; a block right after `<!-- test: NAME -->` is marked NAME, and the json/text block
 * right after a marked block is its expected output.
 */
export function fencedBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  let marker: string | undefined;
  let lastMarked: Block | undefined;
  let blankSinceMarked = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /^<!-- test: ([\w-]+) -->$/.exec(line.trim());
    if (m) {
      marker = m[1];
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
      const block: Block = { file, line: start + 1, lang: fence[1] ?? '', code: body.join('\n'), test: marker };
      if (marker === undefined && lastMarked && blankSinceMarked && (block.lang === 'json' || block.lang === 'text')) {
        lastMarked.expected = block.code;
        lastMarked = undefined;
      } else {
        out.push(block);
        lastMarked = marker !== undefined ? block : undefined;
        blankSinceMarked = true;
      }
      marker = undefined;
      continue;
    }
    if (line.trim() !== '') {
      blankSinceMarked = false;
      if (!line.trim().startsWith('<!--')) marker = undefined;
    }
  }
  return out;
}

/**
 * Compare output with the answer a page shows, line by line (blank lines ignored). A JSON line must
 * have every key the page shows, and every scalar value the page shows in full; `…` stands for a
 * value that differs per run. Other lines match as text with `…` as a wildcard.
 */
export function matchesShown(actual: string, shown: string): string | undefined {
  const a = actual
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const s = shown
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  if (a.length !== s.length) return `expected ${s.length} line(s), got ${a.length}:\n${actual}`;
  for (let i = 0; i < s.length; i++) {
    const want = s[i]!;
    const got = a[i]!;
    if (want.trimStart().startsWith('{')) {
      try {
        JSON.parse(got);
      } catch {
        return `line ${i + 1} is not JSON: ${got}`;
      }
      for (const [, key] of want.matchAll(/"([A-Za-z_]\w*)":/g)) {
        if (!got.includes(`"${key}":`)) return `line ${i + 1} has no "${key}": ${got}`;
      }
      for (const [pair, , value] of want.matchAll(
        /"([A-Za-z_]\w*)":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)/g,
      )) {
        if (value!.includes('…')) {
          const [prefix] = value!.slice(1).split('…');
          const key = pair!.slice(0, pair!.indexOf(':'));
          if (!got.includes(`${key}:"${prefix}`))
            return `line ${i + 1}: expected ${key} to start with "${prefix}": ${got}`;
        } else if (!new RegExp(`${pair!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[,}\\]]`).test(got))
          return `line ${i + 1} lacks ${pair}: ${got}`;
      }
    } else {
      const re = new RegExp(
        `^${want
          .split('…')
          .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
      if (!re.test(got)) return `line ${i + 1}: expected ${want}, got ${got}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// A persistent bash session, and the CLI bundled once (as test/helpers/processes.ts does).

class Shell {
  private proc: ChildProcess;
  private buf = '';
  private n = 0;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.proc = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d) => (this.buf += String(d)));
    this.proc.stderr!.on('data', (d) => (this.buf += String(d)));
  }

  /** Run a snippet in the session; resolves with everything it printed and its exit status. */
  async run(code: string, limitMs = 20_000): Promise<{ out: string; status: number }> {
    const mark = `__docs_test_done_${++this.n}__`;
    this.buf = '';
    this.proc.stdin!.write(`${code}\necho "${mark} $?"\n`);
    const started = Date.now();
    for (;;) {
      const m = new RegExp(`${mark} (\\d+)\\n`).exec(this.buf);
      if (m) return { out: this.buf.slice(0, m.index), status: Number(m[1]) };
      if (Date.now() - started > limitMs)
        throw new Error(`snippet did not finish in ${limitMs} ms:\n${code}\n---\n${this.buf}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close() {
    this.proc.stdin!.end();
    this.proc.kill();
  }
}

async function bundleCli(outdir: string): Promise<string[]> {
  try {
    const esbuild = (await import('esbuild' as string)) as { build(o: Record<string, unknown>): Promise<unknown> };
    const outfile = join(outdir, 'cli.mjs');
    await esbuild.build({
      entryPoints: [join(root, 'test/helpers/cli-entry.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile,
      logLevel: 'silent',
      absWorkingDir: root,
    });
    return [outfile];
  } catch {
    return ['--import', 'tsx', join(root, 'test/helpers/cli-entry.ts')];
  }
}

interface Sandbox {
  url: string;
  app_key: string;
  app_secret: string;
  seller: { username: string; password: string };
}

// ---------------------------------------------------------------------------------------------

const DOCS = ['docs/getting-started-isv.md', 'docs/getting-started-operators.md', 'docs/seller-support.md'];

function markdownFiles(): string[] {
  const out = ['README.md', 'packages/sdk/README.md', 'examples/client-demo/README.md'];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const p = join(dir, name);
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else if (name.endsWith('.md')) out.push(p);
    }
  };
  walk('docs');
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped (but `-` and `_`), spaces to `-`. */
function anchors(markdown: string): Set<string> {
  const set = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) inFence = !inFence;
    const m = !inFence && /^#{1,6} (.+)$/.exec(line);
    if (m)
      set.add(
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N} _-]/gu, '')
          .replace(/ /g, '-'),
      );
  }
  return set;
}

describe('docs', () => {
  it('every relative link in docs/ and the READMEs points to a file (and heading) that exists', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        if (/^(https?:|mailto:)/.test(target!)) continue;
        const [path, hash] = target!.split('#') as [string, string | undefined];
        const abs = path === '' ? join(root, file) : resolve(root, dirname(file), decodeURIComponent(path));
        if (!existsSync(abs)) {
          broken.push(`${file}: ${target} (no ${relative(root, abs)})`);
          continue;
        }
        if (hash && abs.endsWith('.md') && !anchors(readFileSync(abs, 'utf8')).has(hash))
          broken.push(`${file}: ${target} (no heading #${hash})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('the link checker finds a broken link', () => {
    // The checker above must be able to fail: the same expression on a made-up page.
    const links = [...'[a](nowhere.md) [b](https://x.example) [c](#top)'.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    assert.deepEqual(links, ['nowhere.md', 'https://x.example', '#top']);
    assert.equal(existsSync(resolve(root, 'docs', 'nowhere.md')), false);
  });

  it('the configuration reference is generated from SERVE_SETTINGS', () => {
    const path = join(root, 'docs/getting-started-operators.md');
    const doc = readFileSync(path, 'utf8');
    assert.equal(
      doc,
      replaceServeSettingsSection(doc),
      'docs/getting-started-operators.md is out of date: run node --import tsx scripts/render-serve-settings.ts',
    );
  });

  it('the README lists each new page once under Documentation', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const docsSection = readme.slice(readme.indexOf('## Documentation'));
    for (const page of DOCS)
      assert.equal(docsSection.split(`](${page})`).length - 1, 1, `${page} in README.md's Documentation list`);
  });

  it('output comparison can fail', () => {
    assert.equal(matchesShown('{"error":"invalid_grant","x":1}', '{"error":"invalid_grant"}'), undefined);
    assert.match(
      matchesShown('{"error":"invalid_client"}', '{"error":"invalid_grant"}') ?? '',
      /lacks "error":"invalid_grant"/,
    );
    assert.match(matchesShown('{"a":1}', '{"a":1,"b":"…"}') ?? '', /has no "b"/);
    assert.match(matchesShown('shouquan_db_up 0', 'shouquan_db_up 1') ?? '', /expected/);
    assert.equal(matchesShown('HTTP/1.1 404 Not Found', 'HTTP/1.1 404 …'), undefined);
    assert.match(matchesShown('{"status":400}', '{"status":40}') ?? '', /lacks "status":40/);
  });

  // The pages ask readers for these tools; without them the command tests skip with a message.
  const missingTools = ['bash', 'curl', 'jq', 'openssl'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  );
  const toolsSkip =
    missingTools.length > 0 &&
    `${missingTools.join(', ')} not installed (apt-get install -y ${missingTools.join(' ')}): docs command tests skipped`;

  describe('commands in the pages, against a real sandbox server', { skip: toolsSkip }, () => {
    let tmp: string;
    let server: ChildProcess;
    let sandbox: Sandbox;
    let shell: Shell;
    let logFile: string;

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'shouquan-docs-'));
      const cli = await bundleCli(join(root, '.tmp', `docs-${process.pid}`));
      logFile = join(tmp, 'shouquan.log');
      const fd = openSync(logFile, 'w');
      const db = `sqlite:${join(tmp, 'shouquan.db')}`;
      server = spawn(
        process.execPath,
        [...cli, 'serve', '--sandbox', '--json', '--port', '0', '--database', db, '--janitor-interval', '0'],
        { cwd: root, stdio: ['ignore', fd, 'pipe'] },
      );
      let stderr = '';
      server.stderr!.on('data', (d) => (stderr += String(d)));
      const started = Date.now();
      for (;;) {
        const line = readFileSync(logFile, 'utf8')
          .split('\n')
          .find((l) => l.startsWith('{"url"'));
        if (line) {
          const summary = JSON.parse(line);
          sandbox = { url: summary.url, ...summary.sandbox };
          break;
        }
        if (server.exitCode !== null) throw new Error(`server exited: ${stderr}`);
        if (Date.now() - started > 20_000) throw new Error(`server did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const npx = `npx() { if [ "$1" = shouquan ]; then shift; node ${cli.map((a) => `'${a}'`).join(' ')} "$@"; else command npx "$@"; fi; }`;
      shell = new Shell(root, {
        PATH: process.env.PATH,
        HOME: process.env.HOME ?? tmp,
        LANG: 'C.UTF-8',
        SHOUQUAN_DATABASE_URL: db,
      });
      // What the pages ask the reader to do by hand: put the printed values in variables.
      await shell.run(
        `${npx}\nexport BASE='${sandbox.url}' APP_KEY='${sandbox.app_key}' APP_SECRET='${sandbox.app_secret}' LOG='${logFile}'`,
      );
    });

    after(async () => {
      shell?.close();
      if (server && server.exitCode === null) {
        server.kill('SIGTERM');
        await once(server, 'exit');
      }
      rmSync(tmp, { force: true, recursive: true });
      rmSync(join(root, '.tmp', `docs-${process.pid}`), { force: true, recursive: true });
    });

    /** What the reader does between two blocks, outside the shell (a browser, a file). */
    const hooks: Record<
      string,
      { run?: (b: Block) => Promise<{ out: string; status: number }>; after?: (out: string) => Promise<void> }
    > = {
      'authorize-url': {
        after: async (out) => {
          const url = out.trim();
          assert.match(
            url,
            /^http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?response_type=code&client_id=\d+&redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fsandbox%2Fcallback&state=[0-9a-f]{32}&scope=seller$/,
          );
          const { location } = await authorizeThroughForms(sandbox.url, url, {
            username: sandbox.seller.username,
            password: sandbox.seller.password,
            storeId: 1,
          });
          const cb = new URL(location);
          assert.equal(cb.searchParams.get('state'), new URL(url).searchParams.get('state'));
          assert.equal(cb.searchParams.get('iss'), sandbox.url);
          const code = cb.searchParams.get('code') ?? '';
          assert.match(code, /^[\w-]+$/);
          await shell.run(`CODE='${code}'`);
        },
      },
      'request-id': {
        // The server logs the request when it completes: wait for that line before searching for it.
        after: async (out) => {
          const id = out.trim();
          assert.match(id, /^[0-9a-f-]{36}$/);
          const started = Date.now();
          while (!readFileSync(logFile, 'utf8').includes(`"reqId":"${id}","res"`)) {
            if (Date.now() - started > 5000) assert.fail(`request ${id} was not logged`);
            await new Promise((r) => setTimeout(r, 20));
          }
        },
      },
      sdk: {
        run: async (b) => {
          const file = join(tmp, 'isv.mts');
          const sdk = pathToFileURL(join(root, 'packages/sdk/src/index.ts')).href;
          writeFileSync(file, b.code.replace(`from '@shouquan/sdk'`, `from '${sdk}'`));
          return shell.run(
            `BASE="$BASE" APP_KEY="$APP_KEY" APP_SECRET="$APP_SECRET" REDIRECT_URI="$REDIRECT_URI" ACCESS_TOKEN="$ACCESS_TOKEN" node --import tsx '${file}'`,
          );
        },
      },
    };

    for (const page of DOCS) {
      it(`${page}: the marked commands run and answer what the page shows`, async (t) => {
        const path = join(root, page);
        if (!existsSync(path)) return t.skip(`${page} missing`);
        const blocks = fencedBlocks(page, readFileSync(path, 'utf8')).filter((b) => b.test !== undefined);
        assert.ok(blocks.length > 0, `${page} has no <!-- test: … --> blocks`);
        for (const b of blocks) {
          const hook = hooks[b.test!];
          if (b.lang !== 'sh' && !hook?.run)
            assert.fail(`${page}:${b.line}: a tested block must be sh (or have a hook)`);
          const { out, status } = hook?.run ? await hook.run(b) : await shell.run(b.code);
          assert.equal(status, 0, `${page}:${b.line} (${b.test}) exited ${status}:\n${out}`);
          if (b.expected !== undefined) {
            const problem = matchesShown(out, b.expected);
            assert.equal(problem, undefined, `${page}:${b.line} (${b.test}): ${problem}`);
          }
          await hook?.after?.(out);
        }
      });
    }
  });
});
