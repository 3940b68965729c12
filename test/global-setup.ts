import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { databaseUrl, startCluster, type Cluster } from './support/pg-cluster.js'

export const TEMPLATE_DATABASE = 'orgspace_template'

declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string
  }
}

/**
 * For the PostgreSQL project: a server (TEST_DATABASE_URL, or a throwaway cluster started here) with a migrated
 * template database. Each test file then clones the template into a database of its own.
 */
export default async function setup(project: TestProject) {
  let cluster: Cluster | undefined
  const serverUrl = process.env.TEST_DATABASE_URL ?? (cluster = await startCluster()).url
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${TEMPLATE_DATABASE}`)
  await admin.query(`create database ${TEMPLATE_DATABASE}`)
  await admin.end()
  const template = openDatabase(databaseUrl(serverUrl, TEMPLATE_DATABASE), { poolSize: 1 })
  await migrateToLatest(template.db)
  await template.close()
  project.provide('pgServerUrl', serverUrl)
  return async () => {
    await cluster?.stop()
  }
}
