import type { Db } from '../db/connect.js'
import type { User } from '../db/types.js'

export function findUserById(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst()
}

export async function insertUser(db: Db, user: User): Promise<User> {
  await db.insertInto('users').values(user).execute()
  return user
}
