// Walks every key of one server with SCAN (non-blocking, COUNT per step, never KEYS), as raw
// bytes so keys that are not UTF-8 keep their identity.
import type {Redis} from 'ioredis'

export interface ScanOptions {
  /** the COUNT hint per SCAN call */
  count?: number
  /** called with each batch; the next SCAN waits for it, so a slow consumer slows the scan */
  onKeys: (keys: Buffer[]) => void | Promise<void>
  /** stops the walk early when it returns true */
  stopped?: () => boolean
}

export const DEFAULT_SCAN_COUNT = 1000

export async function scanServer(client: Redis, options: ScanOptions): Promise<void> {
  const count = String(options.count ?? DEFAULT_SCAN_COUNT)
  let cursor = '0'
  // the cursor returns to 0 after a full walk; the guard only stops a server that never does
  for (let steps = 0; steps < Number.MAX_SAFE_INTEGER; steps++) {
    const [next, keys] = await client.scanBuffer(cursor, 'COUNT', count)
    cursor = next.toString()
    if (keys.length > 0) await options.onKeys(keys)
    if (cursor === '0' || options.stopped?.()) return
  }
}

/**
 * Walks every key but only counts them. Replies are decoded as text, which ioredis does about
 * twice as fast as Buffers; the bytes of the keys do not matter for a count.
 */
export async function countByScan(client: Redis, options: {count?: number; onCount: (keys: number) => void}): Promise<number> {
  const count = String(options.count ?? DEFAULT_SCAN_COUNT)
  let cursor = '0'
  let total = 0
  for (let steps = 0; steps < Number.MAX_SAFE_INTEGER; steps++) {
    const [next, keys] = await client.scan(cursor, 'COUNT', count)
    cursor = next
    total += keys.length
    if (keys.length > 0) options.onCount(keys.length)
    if (cursor === '0') return total
  }
  return total
}

/** DBSIZE of a server: the total a progress bar counts towards. */
export async function keyCount(client: Redis): Promise<number> {
  return client.dbsize()
}
