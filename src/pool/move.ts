// Moves the keys that change owner, server to server, with MIGRATE ... KEYS (no COPY, no
// REPLACE). MIGRATE is atomic on the source: a key is on the old owner or on the new one, never
// half-moved, and a key a client touched through twproxy meanwhile (twproxy hands it over first)
// is simply not there any more (NOKEY). A BUSYKEY means the new owner already holds a value a
// client wrote after the switch: that value wins and the old one stays behind as a stray, which
// the cleanup deletes once it has seen the new owner's copy.
import type {PoolConfig, ServerConfig} from '../config/index.js'
import {UserError} from '../errors.js'
import type {PoolServerClients} from './clients.js'
import type {MovePlacement} from './plan.js'
import {scanMovingKeys} from './scan.js'

export interface PairCount {
  from: string
  to: string
  keys: number
}

export interface MoveTotals {
  scanned: number
  /** keys that now live on their new owner */
  moved: number
  /** keys the new owner already had (written there after the switch): left for the cleanup */
  kept: number
  pairs: PairCount[]
}

export interface MoveOptions {
  /** keys per MIGRATE */
  batch?: number
  /** MIGRATE timeout in msec */
  timeoutMs?: number
  onProgress?: (totals: MoveTotals) => void
  password?: string
}

function pairCounter(): {add(from: ServerConfig, to: ServerConfig, n: number): void; list(): PairCount[]} {
  const counts = new Map<string, PairCount>()
  return {
    add(from, to, n) {
      const id = `${from.name}\u0000${to.name}`
      const pair = counts.get(id) ?? {from: from.name, to: to.name, keys: 0}
      pair.keys += n
      counts.set(id, pair)
    },
    list: () => [...counts.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
  }
}

/** Counts the keys that would move, per (old owner, new owner) pair, without moving any (all servers at once). */
export async function countMovingKeys(clients: PoolServerClients, placement: MovePlacement, sources: ServerConfig[]): Promise<{scanned: number; pairs: PairCount[]}> {
  const pairs = pairCounter()
  let scanned = 0
  await Promise.all(sources.map(async (source) => {
    for await (const page of scanMovingKeys(clients.get(source), source, placement)) {
      scanned += page.scanned
      for (const {target, keys} of page.byTarget.values()) pairs.add(source, target, keys.length)
    }
  }))
  return {scanned, pairs: pairs.list()}
}

export function migrateArgs(pool: Pick<PoolConfig, 'redisAuth' | 'redisDb'>, target: ServerConfig, keys: Buffer[], timeoutMs: number, password?: string): Array<string | Buffer> {
  const auth = password ?? pool.redisAuth
  return [target.host, String(target.port), '', String(pool.redisDb), String(timeoutMs), ...(auth !== undefined ? ['AUTH', auth] : []), 'KEYS', ...keys]
}

/**
 * Moves every key of `sources` whose owner changes to its new owner. Every source works at once,
 * and each reads its next SCAN page while the MIGRATEs of the last one run (at most two pages
 * in flight per source).
 */
export async function moveKeys(pool: PoolConfig, clients: PoolServerClients, placement: MovePlacement, sources: ServerConfig[], options: MoveOptions = {}): Promise<MoveTotals> {
  const batch = options.batch ?? 200
  const timeoutMs = options.timeoutMs ?? 10_000
  const pairs = pairCounter()
  const totals: MoveTotals = {scanned: 0, moved: 0, kept: 0, pairs: []}
  // the first failure stops every source at its next page (re-running the command finishes the move)
  let failed = false
  await Promise.all(sources.map(async (source) => {
    let previous: Promise<void> = Promise.resolve()
    for await (const page of scanMovingKeys(clients.get(source), source, placement)) {
      await previous.catch((error: unknown) => {
        failed = true
        throw error
      })
      if (failed) return
      totals.scanned += page.scanned
      const work: Array<Promise<void>> = []
      for (const {target, keys} of page.byTarget.values()) {
        for (let i = 0; i < keys.length; i += batch) {
          const chunk = keys.slice(i, i + batch)
          work.push(migrateChunk(pool, clients, source, target, chunk, timeoutMs, options.password).then(({moved, kept}) => {
            totals.moved += moved
            totals.kept += kept
            pairs.add(source, target, moved + kept)
          }))
        }
      }
      previous = Promise.all(work).then(() => {
        totals.pairs = pairs.list()
        options.onProgress?.(totals)
      })
      // a failed MIGRATE surfaces at the next await; keep it from being reported as unhandled meanwhile
      previous.catch(() => undefined)
    }
    await previous
  }))
  totals.pairs = pairs.list()
  return totals
}

async function migrateChunk(pool: PoolConfig, clients: PoolServerClients, source: ServerConfig, target: ServerConfig, keys: Buffer[], timeoutMs: number, password?: string): Promise<{moved: number; kept: number}> {
  const client = clients.get(source)
  let reply: unknown
  try {
    reply = await client.call('MIGRATE', ...migrateArgs(pool, target, keys, timeoutMs, password))
  } catch (error) {
    const message = (error as Error).message
    if (!/BUSYKEY/.test(message)) {
      throw new UserError(`MIGRATE from ${source.name} to ${target.name} failed: ${message}. Run the same command again to finish the move.`, {cause: error})
    }
    // Keys restored before and after the busy one were moved; the busy ones are still here.
    const left = await Promise.all(keys.map((key) => client.exists(key)))
    const kept = left.filter((n) => n > 0).length
    return {moved: keys.length - kept, kept}
  }
  if (reply === 'NOKEY') return {moved: 0, kept: 0}
  return {moved: keys.length, kept: 0}
}
