// twproxy's stats port, read the nutcracker way (connect, receive one JSON document, closed):
// under each pool, every value that is an object is one backend server by name. After a
// cut-over the pool's servers are the cluster's masters as host:port, which is how a cut-over
// sees that twproxy runs the new configuration.
import net from 'node:net'
import type {Address} from '../source/address.js'
import {setTimeout as sleep} from 'node:timers/promises'

export function readStats(address: Address, timeoutMs = 2000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect({host: address.host, port: address.port})
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no stats from ${address.text} within ${timeoutMs} ms`)))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
      } catch (error) {
        reject(new Error(`the stats at ${address.text} are not JSON: ${(error as Error).message}`))
      }
    })
  })
}

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
      seen = poolServers(await readStats(address, Math.max(200, Math.min(2000, deadline - Date.now()))), pool)
      if (seen?.join(',') === wanted) return {switched: true, seen}
    } catch {
      // between configurations, or not listening yet: ask again
    }
    if (Date.now() >= deadline) break
    await sleep(50)
  }
  return {switched: false, seen}
}
