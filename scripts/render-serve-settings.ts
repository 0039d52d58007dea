// Regenerates the configuration reference in README.md and docs/getting-started-operators.md from SERVE_SETTINGS
// (src/config.ts).
// Usage: node --import tsx scripts/render-serve-settings.ts   (test/docs.test.ts checks it)
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceServeSettingsSection } from '../src/serve-settings-table.js';

for (const file of ['README.md', 'docs/getting-started-operators.md']) {
  const path = new URL(`../${file}`, import.meta.url);
  const doc = readFileSync(path, 'utf8');
  const next = replaceServeSettingsSection(doc);
  if (next !== doc) writeFileSync(path, next);
  process.stdout.write(next === doc ? `${file} is up to date\n` : `${file} updated\n`);
}
