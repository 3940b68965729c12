import { loadConfig } from '../config.js'
import type { DatabaseHandle } from '../db/connect.js'
import { certificateOf } from '../deletion/certificate-service.js'
import { openProof, proofSettings, type Proof } from '../deletion/proof.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { openStorage, storageSettings } from '../storage/open.js'
import { withDatabase } from './database.js'
import { CliError } from './errors.js'

/** Runs `work` with the database, the ledger and the signing key, and closes them all. */
export async function withProof<T>(work: (database: DatabaseHandle, proof: Proof) => Promise<T>): Promise<T> {
  const proof = await openProof(proofSettings(loadConfig()))
  try {
    return await withDatabase((database) => work(database, proof))
  } finally {
    await proof.ledger.close()
  }
}

/** `orgspace certificate get`: the certificate, issued now if the deletion completed before certificates existed. */
export async function certificateForOperator(deletionId: string): Promise<string> {
  const storage = await openStorage(storageSettings(loadConfig()))
  try {
    return await withProof(async ({ db }, proof) => {
      try {
        const { certificate } = await certificateOf(
          db,
          { ...proof, storage },
          deletionId.toLowerCase(),
          new Date().toISOString(),
        )
        return certificate
      } catch (error) {
        if (error instanceof AppError && error.code === ErrorCode.EntityNotFound)
          throw new CliError(`no deletion ${deletionId}`)
        if (error instanceof AppError) throw new CliError(`deletion ${deletionId} has not completed`)
        throw error
      }
    })
  } finally {
    await storage.close()
  }
}
