import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinProfiles } from './registry.js';
import {
  renderGeneratedSection,
  renderProfileTable,
  replaceGeneratedSection,
  TABLE_BEGIN,
  TABLE_END,
} from './profile-table.js';

describe('docs/profiles.md comparison table', () => {
  it('matches the profile objects (regenerate: node --import tsx scripts/render-profile-table.ts)', () => {
    const doc = readFileSync(new URL('../../docs/profiles.md', import.meta.url), 'utf8');
    const start = doc.indexOf(TABLE_BEGIN);
    const end = doc.indexOf(TABLE_END);
    assert.ok(start !== -1 && end > start, 'docs/profiles.md has the markers');
    assert.equal(doc.slice(start, end + TABLE_END.length), renderGeneratedSection(Object.values(builtinProfiles)));
  });

  it('changes when a profile changes (the comparison can fail)', () => {
    const profiles = Object.values(builtinProfiles);
    const changed = profiles.map((p) =>
      p.name === 'perfee' ? { ...p, lifetimes: { ...p.lifetimes, access: 3600 } } : p,
    );
    assert.notEqual(renderProfileTable(changed), renderProfileTable(profiles));
    assert.match(renderProfileTable(changed), /`expires_in` 3600/);
  });

  it("states the issue's key facts per profile", () => {
    const table = renderProfileTable(Object.values(builtinProfiles));
    const row = (label: string) => table.split('\n').find((l) => l.startsWith(`| ${label} |`)) ?? '';
    assert.equal(
      row('paths'),
      '| paths | `/oauth/authorize`, `/oauth/token` | `/v2/oauth/authorize`, `/v2/oauth/token` | `/authorize`, `/token` | `/authorize`, `/token` | `/authorize`, `/token` | `/oauth/authorize`, `/oauth/token` |',
    );
    assert.match(
      row('code response'),
      /`statusCode` "0000000", `access_token`, `access_expires_in` 604800, `refresh_token`, `refresh_expires_in` 1209600/,
    );
    assert.match(row('code response'), /`psdm_user_id` \(seller id, number\)/);
    assert.match(
      row('refresh response'),
      /not at the token endpoint \(refresh through the API method psdm\.auth\.token\.refresh\)/,
    );
  });

  it('replaceGeneratedSection refuses a document without markers', () => {
    assert.throws(() => replaceGeneratedSection('# no markers', []), /lacks the generated-table markers/);
  });
});
