#!/usr/bin/env node
// The packed install, as an operator does it: `npm pack`, `npm install -g ./shouquan-<version>.tgz`
// into a temporary prefix (failing on any EBADENGINE warning of that install), then `shouquan serve`
// from a directory with no checkout, /healthz and /readyz, SIGTERM (exit 0). Run by .ci/run after
// `npm test` (it builds the native modules, which takes minutes, so it is not part of `npm test`).
// Usage: node scripts/pack-smoke.mjs [--keep]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'shouquan-pack-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const fail = (msg) => {
  console.error(`pack-smoke: FAIL: ${msg}`);
  process.exitCode = 1;
  throw new Error(msg);
};
const step = (msg) => console.log(`pack-smoke: ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

try {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  step(`npm pack (version ${version})`);
  const packed = run(npm, ['pack', '--json', '--pack-destination', work], { cwd: root });
  const info = JSON.parse(packed.stdout)[0];
  const tgz = join(work, info.filename);
  if (info.filename !== `shouquan-${version}.tgz`) fail(`packed ${info.filename}`);
  const files = info.files.map((f) => f.path);
  for (const must of ['LICENSE', 'README.md', 'bin/shouquan.js', 'dist/cli/main.js', 'package.json'])
    if (!files.includes(must)) fail(`the package lacks ${must}`);
  const stray = files.filter((f) => /^(src|test|scripts|examples|packages)\/|\.test\.|\.db$/.test(f));
  if (stray.length) fail(`the package has files it should not: ${stray.slice(0, 5).join(', ')}`);
  step(`${info.filename}: ${files.length} files, ${Math.round(info.size / 1024)} KiB`);

  const prefix = join(work, 'prefix');
  step(`npm install -g ./${info.filename} --prefix ${prefix} (builds the native modules)`);
  const t0 = Date.now();
  const installed = run(
    npm,
    ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--allow-scripts=argon2,better-sqlite3', tgz],
    { cwd: work },
  );
  step(`installed in ${Math.round((Date.now() - t0) / 1000)} s`);
  // npm applies no "overrides" of an installed package (only the root project's), so the package's
  // own dependency ranges must resolve to releases whose `engines` admit every Node it supports
  // (README, Dependencies): an EBADENGINE warning here fails the smoke.
  const engines = (installed.stderr + installed.stdout).split('\n').filter((l) => /EBADENGINE/.test(l));
  if (engines.length) fail(`npm warned EBADENGINE in the global install:\n${engines.join('\n')}`);
  step('no EBADENGINE warning');
  const bin = join(prefix, 'bin', 'shouquan');
  if (!existsSync(bin)) fail(`no ${bin}`);

  const plain = spawnSync(bin, [], { encoding: 'utf8', cwd: work });
  if (plain.status !== 2 || !/Usage: shouquan <command>/.test(plain.stderr))
    fail(`bare shouquan: exit ${plain.status}, ${plain.stderr}`);

  step('shouquan serve from a directory without a checkout');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SHOUQUAN_')) delete env[k];
  const proc = spawn(bin, ['serve', '--port', '0', '--json', '--log-level', 'warn'], {
    cwd: work,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const summary = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve(JSON.parse(line));
    });
    exited.then(({ code }) => reject(new Error(`serve exited ${code}: ${err}`)));
  }).catch((e) => fail(e.message));
  if (summary.database !== 'sqlite:./data/shouquan.db') fail(`database ${summary.database}`);
  for (const path of ['/healthz', '/readyz']) {
    const res = await fetch(`${summary.url}${path}`);
    const body = await res.text();
    if (res.status !== 200) fail(`${path} answered ${res.status} ${body}`);
    step(`GET ${path}: ${res.status} ${body}`);
  }
  if (!existsSync(join(work, 'data', 'shouquan.db'))) fail('no ./data/shouquan.db in the working directory');
  proc.kill('SIGTERM');
  const end = await exited;
  if (end.code !== 0) fail(`serve ended with ${end.code ?? end.signal} after SIGTERM: ${err}`);
  step('SIGTERM: exit 0. OK');
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else step(`kept ${work}`);
}
