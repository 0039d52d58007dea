// Replays seeds/meilishuo-oauth.txt (美丽说 授权说明) against `--profile meilishuo`, with our host
// in place of https://oauth.meilishuo.com. See meilishuo-family.ts for the replayed examples.
import { replayMeilishuoFamilyDoc } from './meilishuo-family.js';

await replayMeilishuoFamilyDoc('meilishuo');
