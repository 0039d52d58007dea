// Regenerates the configuration reference in docs/getting-started-operators.md from SERVE_SETTINGS (src/config.ts).
// Usage: node --import tsx scripts/render-serve-settings.ts   (test/docs.test.ts checks it)
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceServeSettingsSection } from '../src/serve-settings-table.js';

const path = new URL('../docs/getting-started-operators.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const next = replaceServeSettingsSection(doc);
if (next !== doc) writeFileSync(path, next);
process.stdout.write(next === doc ? 'docs/getting-started-operators.md is up to date\n' : 'docs/getting-started-operators.md updated\n');
