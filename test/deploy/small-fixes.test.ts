// Issue 17, "small things found on the way": each one a test that failed before its fix.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli as run } from '../helpers/cli.js';
import { replaceServeSettingsSection } from '../../src/serve-settings-table.js';
import { cliEntry } from '../helpers/processes.js';

// semver is npm's own range logic (a dependency of our dependencies); typed here by hand.
const semver = (
  (await import('semver' as string)) as {
    default: { minVersion(r: string): { version: string } | null; satisfies(v: string, r: string): boolean };
  }
).default;

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('issue 17: small things', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'shouquan-fixes-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every locked package accepts the Node versions package.json "engines" promises (no EBADENGINE on Node 20)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    const lowest = semver.minVersion(pkg.engines.node)!.version;
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean }>;
    };
    const refusing: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      if (path === '' || !p.engines || Array.isArray(p.engines) || !p.engines.node) continue;
      // Each must accept the lowest Node we promise and the Node 20 line we test on.
      for (const v of [lowest, '20.20.0'])
        if (!semver.satisfies(v, p.engines.node))
          refusing.push(`${path}@${p.version} needs node ${p.engines.node} (not ${v})`);
    }
    assert.deepEqual(refusing, []);
  });

  it('the lock holds without "overrides", which npm ignores in an installed package: every locked dependency is in its range', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { overrides?: unknown };
    assert.equal(pkg.overrides, undefined, 'a global install of the packed file would not apply it');
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; link?: boolean; dependencies?: Record<string, string> }>;
    };
    // Node's lookup: node_modules/<name> beside the dependent, then in each folder above it.
    const resolve = (from: string, name: string) => {
      for (let dir = from; ; dir = dir.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
        const path = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
        if (lock.packages[path]) return lock.packages[path]!;
        if (!dir) return undefined;
      }
    };
    const outside: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      if (p.link) continue;
      for (const [name, range] of Object.entries(p.dependencies ?? {})) {
        const got = resolve(path, name);
        if (got?.version && !/^(npm|file|git|https?):/.test(range) && !semver.satisfies(got.version, range))
          outside.push(`${path || 'shouquan'} wants ${name}@${range}, the lock has ${got.version}`);
      }
    }
    assert.deepEqual(outside, []);
  });

  it('a bad database URL is a usage error (exit 2) in every command, as the README says', async () => {
    const bad = 'bogus://x';
    const cases = [
      ['serve', '--database', bad],
      ['migrate', '--database', bad],
      ['app', 'create', '--name', 'X', '--callback', 'https://a.example.com/cb', '--database', bad],
      ['app', 'rotate-secret', '--app-key', '1', '--database', bad],
      ['app', 'gateway', '--app-key', '1', '--database', bad],
      ['seller', 'create', '--username', 'abc', '--password', 'long password', '--store', 'S', '--database', bad],
      ['operator', 'create', '--username', 'abc', '--password', 'long password', '--database', bad],
      ['janitor', '--database', bad],
      ['migrate', '--database', 'sqlite:'],
    ];
    for (const argv of cases) {
      const r = await run(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(
        r.err,
        /^shouquan: database URL "[^"]*" (must start with sqlite: or postgres:\/\/|has no file path)/,
      );
    }
  });

  it('a bare "shouquan" prints the usage on stderr and exits 2 (no command given)', async () => {
    const r = await run();
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /^shouquan: OAuth 2\.0 authorization server/);
    assert.match(r.err, /\nUsage: shouquan <command> \[flags\]\n/);
  });

  it('SIGTERM right after start with --sandbox (while the sandbox is being set up) still drains and exits 0', async () => {
    // The listen log line comes before the sandbox's credentials are made (an argon2 hash): a
    // SIGTERM then used to find no handler yet and end the process with 143.
    const proc = spawn(
      process.execPath,
      [
        ...(await cliEntry()),
        'serve',
        '--sandbox',
        '--database',
        `sqlite:${join(dir, 'sigterm.db')}`,
        '--port',
        '0',
        '--log-level',
        'info',
        '--janitor-interval',
        '0',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      proc.once('exit', (code, signal) => r({ code, signal })),
    );
    await new Promise<void>((resolveListen, reject) => {
      proc.stdout!.on('data', (d) => {
        out += String(d);
        if (/Server listening at/.test(out)) resolveListen();
      });
      void exited.then(() => reject(new Error(`exited before listening: ${stderr}`)));
    });
    proc.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `${out}\n${stderr}`);
  });

  it('the README and the operators’ guide carry the generated settings table (every serve flag, --trust-proxy included)', () => {
    for (const file of ['README.md', 'docs/getting-started-operators.md']) {
      const doc = readFileSync(join(root, file), 'utf8');
      assert.equal(
        doc,
        replaceServeSettingsSection(doc),
        `${file} is out of date: run node --import tsx scripts/render-serve-settings.ts`,
      );
      assert.match(doc, /\| `--trust-proxy` \| `SHOUQUAN_TRUST_PROXY` \|/, file);
    }
  });

  it('no page points with ../ at a path outside the repository or missing from it (code spans; links are test/docs.test.ts)', () => {
    const files = [
      'README.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    const bad: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, path] of text.matchAll(/`(\.\.\/[^`\s*<>]+)[^`]*`/g)) {
        // `./data/…`-style paths are where the server writes at run time; `../` ones point at files.
        const abs = resolve(root, dirname(file), path!);
        if (!abs.startsWith(root + '/') || !existsSync(abs)) bad.push(`${file}: ${path}`);
      }
    }
    assert.deepEqual(bad, []);
  });
});
