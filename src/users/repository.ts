import type { Db } from '../db/connect.js'
import type { User } from '../db/types.js'

export function findUserById(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst()
}

/** Inserts the user unless its email is taken (by a concurrent caller, say); true when it was inserted. */
export async function insertUserUnlessTaken(db: Db, user: User): Promise<boolean> {
  const inserted = await db
    .insertInto('users')
    .values(user)
    .onConflict((oc) => oc.column('email').doNothing())
    .executeTakeFirst()
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1
}
