// The last step of a pool change, once the proxy routes by the new list alone: whatever is still
// on an old owner but belongs elsewhere is a stray. A stray whose key exists on its new owner is
// a stale copy and is deleted; one that does not (nothing should be left, but a key must never
// be dropped on a guess) is moved there instead.
import type {PoolConfig, ServerConfig} from '../config/index.js'
import type {PoolServerClients} from './clients.js'
import {migrateArgs} from './move.js'
import type {MovePlacement} from './plan.js'
import {scanMovingKeys} from './scan.js'

export interface CleanupTotals {
  /** stale copies deleted after their new owner's copy was seen */
  deleted: number
  /** keys found only on the old owner and moved now */
  moved: number
}

export async function deleteStrays(pool: PoolConfig, clients: PoolServerClients, placement: MovePlacement, sources: ServerConfig[], password?: string): Promise<CleanupTotals> {
  const totals: CleanupTotals = {deleted: 0, moved: 0}
  // every old server at once: each only touches its own strays
  await Promise.all(sources.map(async (source) => {
    const client = clients.get(source)
    for await (const page of scanMovingKeys(client, source, placement)) {
      for (const {target, keys} of page.byTarget.values()) {
        const present = await Promise.all(keys.map((key) => clients.get(target).exists(key)))
        const stale = keys.filter((_, i) => present[i] > 0)
        const missing = keys.filter((_, i) => present[i] === 0)
        if (stale.length > 0) totals.deleted += await client.del(...stale)
        for (const key of missing) {
          try {
            const reply = await client.call('MIGRATE', ...migrateArgs(pool, target, [key], 10_000, password))
            if (reply !== 'NOKEY') totals.moved++
          } catch (error) {
            // written on the new owner between our EXISTS and the MIGRATE: the new value wins
            if (!/BUSYKEY/.test((error as Error).message)) throw error
            totals.deleted += await client.del(key)
          }
        }
      }
    }
  }))
  return totals
}
