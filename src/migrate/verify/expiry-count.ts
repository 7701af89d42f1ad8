// Verify's expiry check by count. The bulk comparison reads a target key's expiry only when the
// source gives the key one (scripts.ts COMPARE_PACKED), which spares a PEXPIRETIME for every key
// without an expiry: most keys of most datasets, and a fifth of the target's work per key. That
// such a key has no expiry on the target either is settled like the key count
// (target-to-sources.ts): when no server took a write while they were counted, a master whose keys
// with an expiry (INFO keyspace: expires) number exactly the keys found there with the expiry
// their source gives has no other key with one. Where the count differs, or after a write, the
// master's keys with an expiry are listed (SCAN, PEXPIRETIME in a script) for the caller to
// compare one by one; so are those of a master where a key was found twice (bare --from servers
// holding the same key: its expiry may have been counted twice). Not used during an online run
// (its writes void the count): every expiry is read there.
import type {Redis} from 'ioredis'
import {isAppliedMark} from '../changes/applied-marks.js'
import {script} from '../copy/scripts.js'
import type {MigrationTarget} from '../target/migration-target.js'
import {masterName} from './target-to-sources.js'

/** Keys found on each target master with the expiry their source gives them, by its host:port. */
export type VolatilePerMaster = Map<string, number>

/** The keys with an expiry a master holds (INFO keyspace), -1 when it does not say. */
async function expiringKeys(master: Redis): Promise<number> {
  try {
    const match = /^db0:.*\bexpires=(\d+)/m.exec(await master.info('keyspace'))
    return match ? Number(match[1]) : 0
  } catch {
    return -1
  }
}

/**
 * The masters holding another number of keys with an expiry than were found on them, and those
 * named in `uncounted` (a key found there more than once: its expiry may have been counted twice).
 */
export async function mastersWithOtherExpiries(target: MigrationTarget, found: VolatilePerMaster, uncounted = new Set<string>()): Promise<Redis[]> {
  const masters = target.masters()
  const counts = await Promise.all(masters.map(expiringKeys))
  return masters.filter((master, i) => uncounted.has(masterName(master)) || counts[i] !== (found.get(masterName(master)) ?? 0))
}

/** Every key with an expiry on `master` (twlab's own applied marks left out). */
export async function keysWithExpiry(master: Redis, scanCount: number): Promise<Buffer[]> {
  const keys: Buffer[] = []
  let cursor = '0'
  for (let round = 0; round < 1e9; round++) {
    const [next, ...page] = await script(master, 'twlabScanVolatile')(0, cursor, scanCount) as Buffer[]
    for (const key of page) if (!isAppliedMark(key)) keys.push(key)
    cursor = next.toString()
    if (cursor === '0') break
  }
  return keys
}
