// Regenerates the comparison tables in docs/profiles.md from the shipped profile objects.
// Usage: node --import tsx scripts/render-profile-table.ts   (src/profiles/profile-table.test.ts checks it)
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinProfiles } from '../src/profiles/registry.js';
import { replaceGeneratedSection } from '../src/profiles/profile-table.js';

const path = new URL('../docs/profiles.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const next = replaceGeneratedSection(doc, Object.values(builtinProfiles));
if (next !== doc) writeFileSync(path, next);
process.stdout.write(next === doc ? 'docs/profiles.md is up to date\n' : 'docs/profiles.md updated\n');
