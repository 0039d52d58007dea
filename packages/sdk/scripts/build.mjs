#!/usr/bin/env node
// Builds @shouquan/sdk twice with the repository's TypeScript: ESM (dist/esm) and CommonJS
// (dist/cjs, marked by its own package.json so Node loads it as CommonJS).
// Usage: node packages/sdk/scripts/build.mjs [outDir]   (default packages/sdk/dist)
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const out = resolve(process.argv[2] ?? join(pkg, 'dist'));
const tsc = createRequire(join(pkg, '..', '..', 'package.json')).resolve('typescript/bin/tsc');

rmSync(out, { recursive: true, force: true });
for (const [config, sub] of [['tsconfig.esm.json', 'esm'], ['tsconfig.cjs.json', 'cjs']]) {
  const res = spawnSync(process.execPath, [tsc, '-p', join(pkg, config), '--outDir', join(out, sub)], { stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
mkdirSync(join(out, 'cjs'), { recursive: true });
writeFileSync(join(out, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
writeFileSync(join(out, 'esm', 'package.json'), '{ "type": "module" }\n');
console.log(`@shouquan/sdk built: ${join(out, 'esm')} (ESM), ${join(out, 'cjs')} (CommonJS)`);
