// What a cut-over reads in twproxy's stats (targets/proxy-process.ts fetches the document): under
// each pool, every value that is an object is one backend server by name. After a cut-over the
// pool's servers are the cluster's masters as host:port, which is how a cut-over sees that twproxy
// runs the new configuration.
import {readProxyStats} from '../../targets/proxy-process.js'
import type {Address} from '../../address.js'
import {setTimeout as sleep} from 'node:timers/promises'

/** The server names the stats list under `pool`, or undefined when the pool is not there. */
export function poolServers(stats: Record<string, unknown>, pool: string): string[] | undefined {
  const entry = stats[pool]
  if (entry === null || typeof entry !== 'object') return undefined
  return Object.entries(entry as Record<string, unknown>)
    .filter(([, value]) => value !== null && typeof value === 'object')
    .map(([name]) => name)
    .sort()
}

/**
 * Polls the stats until the pool lists exactly `servers` (order aside). Bounded by `timeoutMs`;
 * returns false when the time ran out, with the last list seen.
 */
export async function waitForPoolServers(address: Address, pool: string, servers: string[], timeoutMs: number): Promise<{switched: boolean; seen?: string[]}> {
  const wanted = [...servers].sort().join(',')
  const deadline = Date.now() + timeoutMs
  let seen: string[] | undefined
  for (let attempt = 0; attempt < 10_000; attempt++) {
    try {
      seen = poolServers(await readProxyStats(address, Math.max(200, Math.min(2000, deadline - Date.now()))), pool)
      if (seen?.join(',') === wanted) return {switched: true, seen}
    } catch {
      // between configurations, or not listening yet: ask again
    }
    if (Date.now() >= deadline) break
    await sleep(50)
  }
  return {switched: false, seen}
}
