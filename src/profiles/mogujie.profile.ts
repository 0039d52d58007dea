import type { Profile } from './profile.js';
import { meilishuoFamilyProfile } from './meilishuo.profile.js';

/** 蘑菇街 (seeds/mogujie-oauth.txt): the same dialect as meilishuo, on its own host. */
export const mogujieProfile: Profile = meilishuoFamilyProfile('mogujie', '蘑菇街');
