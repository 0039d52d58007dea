// Regenerates the method and error tables in docs/gateway.md from the method declarations and the code catalogue.
// Usage: node --import tsx scripts/render-gateway-tables.ts   (src/gateway/docs-tables.test.ts checks it)
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceGeneratedTables } from '../src/gateway/docs-tables.js';

const path = new URL('../docs/gateway.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const next = replaceGeneratedTables(doc);
if (next !== doc) writeFileSync(path, next);
process.stdout.write(next === doc ? 'docs/gateway.md is up to date\n' : 'docs/gateway.md updated\n');
