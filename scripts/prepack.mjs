#!/usr/bin/env node
// npm pack / npm publish, before packing: an empty dist (prepare then builds it, so nothing stale is
// packed) and npm-shrinkwrap.json from package-lock.json. The shrinkwrap is the lockfile npm honours
// when it installs the package (package-lock.json and "overrides" only count in a checkout), so an
// `npm install -g ./shouquan-<version>.tgz` gets the same tree CI tested: cookie 1.x (no EBADENGINE on
// Node 20). postpack removes it again.
import { copyFileSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
copyFileSync('package-lock.json', 'npm-shrinkwrap.json');
