// Replays seeds/mogujie-oauth.txt (蘑菇街开放平台 授权说明) against `--profile mogujie`, with our host
// in place of https://oauth.mogujie.com. The document is the meilishuo one with another name and
// host, so the replayed examples are shared (meilishuo-family.ts).
import { replayMeilishuoFamilyDoc } from './meilishuo-family.js';

await replayMeilishuoFamilyDoc('mogujie');
