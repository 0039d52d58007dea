// Issue 17, packaging: what `npm pack` puts in the package (the install itself: scripts/pack-smoke.mjs, run by
// .ci/run).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('the npm package', () => {
  it('has the Apache-2.0 LICENSE that package.json names, in full', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string };
    assert.equal(pkg.license, 'Apache-2.0');
    const text = readFileSync(join(root, 'LICENSE'), 'utf8');
    assert.match(text, /^\s*Apache License\n\s*Version 2\.0, January 2004\n/);
    assert.match(text, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
    assert.ok(text.length > 10_000, 'the full text, not a notice');
  });

  // dist is built by npm ci (prepare) in CI; a bare worktree without a build skips this one.
  const built = existsSync(join(root, 'dist', 'cli', 'main.js'))
    ? false
    : 'dist/ is not built here (npm run build): the pack listing test skipped';
  it(
    'npm pack takes the bin, the built server, LICENSE, README, CHANGELOG and the docs, and nothing else',
    { skip: built },
    () => {
      // --ignore-scripts: list what would be packed from the tree as it is (CI built dist with npm ci).
      const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const [info] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const files = info!.files.map((f) => f.path);
      assert.equal(
        info!.filename,
        `shouquan-${(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version}.tgz`,
      );
      for (const must of [
        'LICENSE',
        'README.md',
        'CHANGELOG.md',
        'package.json',
        'bin/shouquan.js',
        'dist/cli/main.js',
        'dist/server/app.js',
        'docs/operations.md',
      ])
        assert.ok(files.includes(must), `${must} in the package`);
      assert.deepEqual(
        files.filter((f) =>
          /^(src|test|scripts|examples|packages|node_modules|data|\.tmp)\/|\.test\.|\.db$|\.tsbuildinfo$/.test(f),
        ),
        [],
      );
    },
  );

  it('the package builds dist when packed, and its runtime imports are all dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    assert.equal(pkg.scripts.prepack, 'node scripts/prepack.mjs');
    const prepack = readFileSync(join(root, 'scripts/prepack.mjs'), 'utf8');
    assert.match(prepack, /rmSync\('dist'/, 'prepack empties dist so nothing stale is packed');

    assert.equal(
      pkg.scripts.prepare,
      'tsc -p tsconfig.build.json',
      'prepare (run by npm pack after prepack) builds dist',
    );
    const imports = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
          for (const [, spec] of readFileSync(p, 'utf8').matchAll(/(?:from |import\()'([^.'][^']*)'/g)) {
            if (spec!.startsWith('node:')) continue;
            imports.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
          }
        }
      }
    };
    walk(join(root, 'src'));
    assert.deepEqual([...imports].filter((m) => !(m in pkg.dependencies)).sort(), []);
  });
});
