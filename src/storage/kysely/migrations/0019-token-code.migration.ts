import type { Kysely, Migration } from 'kysely';

/**
 * `tokens.code_hash`: the hash of the authorization code whose exchange began this token's chain
 * (a refresh carries it to the successor). With `grants.reconsent: add` several consents share
 * one grant, so a replayed code revokes the tokens issued from that code, not the grant's other
 * consents' (RFC 6749 §4.1.2, RFC 9700 §4.5; docs/adr/0150). Null: the implicit flow, or a token
 * written before 0019 (a replay then ends the grant, as before).
 */
export function tokenCodeMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('tokens').addColumn('code_hash', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('tokens').dropColumn('code_hash').execute();
    },
  };
}
