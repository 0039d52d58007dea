import { resetOperatorTotp } from '../../console/operator-totp.js';
import type { HttpContext } from '../../server/http-context.js';
import { ManagementError } from '../management-error.js';
import type { ManagementRoute } from './management-api.js';
import { schemas } from './schemas.js';

/** `/operators`: the operators of /admin; reset one's lost authenticator (docs/adr/0177). */
export function operatorRoutes(ctx: HttpContext): ManagementRoute[] {
  const { core } = ctx;
  return [
    {
      method: 'POST',
      url: '/operators/:username/reset-totp',
      tag: 'Management: operators',
      summary: 'Reset an operator’s authenticator: they set up a new one at their next sign-in',
      description:
        'Clears the TOTP secret and the recovery codes and ends the operator’s /admin sessions (a lost phone, no recovery codes left). Audited as `console.operator_totp_reset`. The CLI twin is `shouquan operator reset-totp --username U`.',
      success: { 200: schemas.OperatorTotpReset },
      handler: async (request, _reply, actor) => {
        const { username } = request.params as { username: string };
        const reset = await resetOperatorTotp(core.storage, username, actor.name, core.now());
        if (!reset) throw new ManagementError(404, 'not_found', `no operator with username ${username}`);
        return {
          operator_id: reset.account.accountId,
          username: reset.account.username,
          was_enrolled: reset.wasEnrolled,
        };
      },
    },
  ];
}
