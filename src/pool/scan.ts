// Walks one server's keys with SCAN and yields, page by page, the keys that belong on another
// server under the new list, grouped by that server. Keys are Buffers so binary keys survive.
import type {Redis} from 'ioredis'
import type {ServerConfig} from '../config/index.js'
import type {MovePlacement} from './plan.js'

export interface MovingPage {
  /** keys SCAN returned on this page (moving or not) */
  scanned: number
  /** moving keys by the address of their new owner */
  byTarget: Map<string, {target: ServerConfig; keys: Buffer[]}>
}

/** Keys per SCAN page: a few ms of work for the server, and few round trips for a large pool. */
export const SCAN_COUNT = 5000

export async function* scanMovingKeys(client: Redis, source: ServerConfig, placement: MovePlacement, count = SCAN_COUNT): AsyncGenerator<MovingPage> {
  let cursor = '0'
  // SCAN ends when the cursor comes back to 0; the bound only guards against a server that never does
  for (let pages = 0; pages < 10_000_000; pages++) {
    const [next, keys] = await client.scanBuffer(cursor, 'COUNT', count)
    cursor = String(next)
    const byTarget: MovingPage['byTarget'] = new Map()
    for (const key of keys) {
      const target = placement.newOwner(key)
      if (target.address === source.address) continue
      let group = byTarget.get(target.address)
      if (!group) byTarget.set(target.address, (group = {target, keys: []}))
      group.keys.push(key)
    }
    yield {scanned: keys.length, byTarget}
    if (cursor === '0') return
  }
}
