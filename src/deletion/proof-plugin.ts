import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import type { Db } from '../db/connect.js'
import { unreadable } from './ledger.js'
import { openProof, proofSettings, type Proof, type ProofSettings } from './proof.js'
import { replayLedger } from './replay.js'
import type { Logger } from '../core/logger.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The deletion ledger and the signing key (docs/api.md §11, §12). */
    proof: Proof
  }
}

/**
 * Replays the ledger (replay.ts) with what a process is started with, logging what it deleted again. A ledger
 * that cannot be read stops the start with a StartupError naming LEDGER_URL: never a silent skip.
 */
async function replayLedgerAtStart(db: Db, proof: Proof, settings: ProofSettings, logger: Logger) {
  const { tombstones, replayed, rewritten } = await replayLedger(
    db,
    proof.ledger,
    new Date().toISOString(),
  ).catch((error: unknown) => {
    throw unreadable(settings.ledger, error)
  })
  for (const r of replayed)
    logger.warn(r, 'an organization deleted before came back with a restored backup: deleting it again')
  // Said at info only when the replay changed something; a routine start stays quiet.
  const level = replayed.length > 0 || rewritten > 0 ? 'info' : 'debug'
  logger[level](
    { ledger: proof.ledger.description, tombstones, replayed: replayed.length, rewritten },
    'deletion ledger replayed',
  )
}

/** `replayLedgerAtStart` for a process that needs the ledger only for it (the worker opens its own). */
export async function replayAtStart(db: Db, settings: ProofSettings, logger: Logger): Promise<void> {
  const proof = await openProof(settings)
  try {
    await replayLedgerAtStart(db, proof, settings, logger)
  } finally {
    await proof.ledger.close()
  }
}

/** Opens the ledger and the signing key for the server (see `replayBeforeRequests`). */
export const proofPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const proof = await openProof(proofSettings(config))
    app.decorate('proof', proof)
    app.addHook('onClose', async () => proof.ledger.close())
  },
  { name: 'proof', dependencies: ['database'] },
)

/**
 * Replays the ledger before the server accepts a request: an organization a tombstone names that a restored backup
 * brought back is deleted again before anyone reads it. Called by buildApp rather than inside a plugin, whose
 * start is cut short after a few seconds: a large ledger on remote storage may take longer.
 */
export async function replayBeforeRequests(app: FastifyInstance, config: Config): Promise<void> {
  await replayLedgerAtStart(
    app.db,
    app.proof,
    proofSettings(config),
    app.log.child({ component: 'ledger' }),
  ).catch(async (error: unknown) => {
    await app.proof.ledger.close()
    throw error
  })
}
