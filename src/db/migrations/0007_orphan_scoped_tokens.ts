import { sql, type Kysely } from 'kysely'

// Tokens scoped to an organization die with the membership they came from (removing a collaborator now deletes
// them). Before that, a removed collaborator's scoped tokens stayed listed and worked again if the user was
// invited back: those left over from then are deleted here.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    delete from tokens
    where organization_id is not null
      and not exists (
        select 1 from collaborators c
        where c.organization_id = tokens.organization_id and c.user_id = tokens.user_id
      )`.execute(db)
}

export async function down(): Promise<void> {
  // The deleted tokens were dead already; nothing to bring back.
}
