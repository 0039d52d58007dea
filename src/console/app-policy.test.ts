import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authorizeUrlFor } from './app-policy.js';
import { standardProfile } from '../profiles/standard.profile.js';

describe('authorizeUrlFor', () => {
  it('builds the standard profile URL', () => {
    assert.equal(
      authorizeUrlFor('https://auth.example.com', standardProfile, '12345678', 'https://isv.example.com/cb'),
      'https://auth.example.com/oauth/authorize?response_type=code&client_id=12345678&redirect_uri=https%3A%2F%2Fisv.example.com%2Fcb&state=YOUR_RANDOM_STATE',
    );
  });

  it('follows a profile: its path, its client id name, PKCE, required parameters and views', () => {
    const profile = {
      ...standardProfile,
      paths: { ...standardProfile.paths, authorize: '/authorize' },
      params: { clientId: ['app_key', 'client_id'], clientSecret: ['app_secret'] },
      requirePkce: true,
      authorize: {
        ...standardProfile.authorize,
        required: ['response_type', 'client_id', 'redirect_uri', 'view', 'sp'],
        views: ['web', 'wap'],
      },
    };
    const url = new URL(authorizeUrlFor('https://p.example', profile, '1', 'https://c.example/cb'));
    assert.equal(url.pathname, '/authorize');
    assert.deepEqual(
      [...url.searchParams.keys()],
      ['response_type', 'app_key', 'redirect_uri', 'state', 'view', 'sp', 'code_challenge', 'code_challenge_method'],
    );
    assert.equal(url.searchParams.get('view'), 'web');
    assert.equal(url.searchParams.get('sp'), 'YOUR_SP');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  });
});
