import type { AppRecord } from '../../storage/ports.js';
import type { TokenResponseValues } from '../../profiles/profile.js';
import type { CoreContext } from '../context.js';
import type { ParamBag } from '../params.js';

/** What a grant hands back: the values, and which of the profile's response shapes to use. */
export interface GrantResult {
  values: TokenResponseValues;
  shape: 'code' | 'refresh';
  /**
   * The answer is tokens issued earlier, handed out again (a refresh retried within its grace
   * window, docs/adr/0100): nothing new was issued, so it is not counted as issued.
   */
  replayed?: boolean;
}

/** One grant type at the token endpoint (RFC 6749 §4, §6). The client is already authenticated. */
export interface GrantHandler {
  readonly grantType: string;
  handle(ctx: CoreContext, params: ParamBag, client: AppRecord): Promise<GrantResult>;
}
