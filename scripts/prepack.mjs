#!/usr/bin/env node
// npm pack / npm publish, before packing: an empty dist, so prepare (run next) builds it afresh and
// nothing stale is packed.
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
