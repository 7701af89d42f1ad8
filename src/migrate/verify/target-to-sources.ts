// Verify's target -> sources direction: every key on the target must be held by some source (else
// it is "extra"). Two ways to know it:
// - key by key: every target master scanned, each page of keys looked for on the sources (its
//   owner first when pool hashing names one);
// - by count: the source -> target pass counts, per target master, the keys it found there. When
//   no server took a write while both were counted (write-marks.ts), a master holding exactly that
//   many keys (DBSIZE) holds no others: the keys found are distinct (SCAN repeats a key only
//   when its table is resized, which takes writes) and all of them are on it. Only masters whose
//   count differs are then scanned key by key.
import type {Redis} from 'ioredis'
import {isAppliedMark} from '../changes/applied-marks.js'
import {existsOn} from '../source/reader.js'
import type {SourceSet} from '../source/sources.js'
import type {MigrationTarget} from '../target/migration-target.js'
import {pagesInFlight} from './pages-in-flight.js'

/** Target -> sources: every key of every target master looked for on the sources; returns the target's key count and the keys no source held. */
export async function targetToSources(sources: SourceSet, masters: Redis[], scanCount: number): Promise<{targetKeys: number; extra: Buffer[]}> {
  let targetKeys = 0
  const extra: Buffer[] = []
  await Promise.all(masters.map(async (master) => {
    let cursor = '0'
    await pagesInFlight(async () => {
      const [next, keys] = await master.scanBuffer(cursor, 'COUNT', scanCount)
      cursor = next.toString()
      return {page: keys, last: cursor === '0'}
    }, async (page: Buffer[]) => {
      // the marks a replication capture keeps of what it applied are twlab's own (changes/applied-marks.ts)
      const keys = page.filter((key) => !isAppliedMark(key))
      targetKeys += keys.length
      if (keys.length > 0) extra.push(...(await keysOnNoSource(sources, keys)))
    })
  }))
  return {targetKeys, extra}
}

/** Keys the source -> target pass found on each target master, by its host:port. */
export type FoundPerMaster = Map<string, number>

export function masterName(master: Redis): string {
  return `${master.options.host}:${master.options.port}`
}

/**
 * The masters whose key count (DBSIZE) is not the count of keys the source -> target pass found
 * on them: only those need the key-by-key check. Meaningful only when no write happened meanwhile.
 */
export async function mastersWithOtherKeys(target: MigrationTarget, found: FoundPerMaster): Promise<{differing: Redis[]; matchingKeys: number}> {
  const masters = target.masters()
  const sizes = await Promise.all(masters.map((master) => master.dbsize()))
  const differing: Redis[] = []
  let matchingKeys = 0
  masters.forEach((master, i) => {
    if (sizes[i] === (found.get(masterName(master)) ?? 0)) matchingKeys += sizes[i]
    else differing.push(master)
  })
  return {differing, matchingKeys}
}

/** Which of `keys` (found on the target) no source holds: each asked of its owner first, then of every source. */
export async function keysOnNoSource(sources: SourceSet, keys: Buffer[]): Promise<Buffer[]> {
  let remaining = keys
  const order = sources.ownerOf
    ? groupByOwnerFirst(sources, keys)
    : null
  if (order) {
    const next: Buffer[] = []
    for (const [owner, list] of order) {
      const present = await existsOn(sources.sources[owner], list)
      list.forEach((key, i) => { if (!present[i]) next.push(key) })
    }
    remaining = next
  }
  for (const source of sources.sources) {
    if (remaining.length === 0) break
    const present = await existsOn(source, remaining)
    remaining = remaining.filter((_, i) => !present[i])
  }
  return remaining
}

function groupByOwnerFirst(sources: SourceSet, keys: Buffer[]): Map<number, Buffer[]> {
  const groups = new Map<number, Buffer[]>()
  for (const key of keys) {
    const owner = (sources.ownerOf as (k: Buffer) => number)(key)
    let list = groups.get(owner)
    if (!list) groups.set(owner, (list = []))
    list.push(key)
  }
  return groups
}

