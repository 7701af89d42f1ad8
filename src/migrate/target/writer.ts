// Writes records to the target cluster: RESTORE key expireAt payload ABSTTL [REPLACE], routed per
// key by the cluster client (auto-pipelined per node), transient failures retried. Keys over the
// big-key limit go through the chunked copy instead. Without REPLACE, a key already on the target
// (BUSYKEY) is compared with what we would write: the same bytes mean an earlier run (or a SCAN
// repeat) already copied it; anything else is a conflict for --on-conflict to settle. A target
// that refuses the sources' payloads (an older server, payload-pairing.ts) gets each key rebuilt
// type by type instead (rebuild.ts).
import type {Cluster, Redis} from 'ioredis'
import {valueDigest} from '../verify/digest.js'
import {copyInChunks, type ChunkOptions} from './big-key.js'
import {keyId, keyText} from '../../key-text.js'
import type {KeyRecord} from '../source/reader.js'
import {expireAtOf, keyOf, payloadLengthOf, payloadOf, VANISHED, type RecordPage} from '../copy/record-pack.js'
import {retryTransient} from './retry.js'
import type {Source} from '../source/sources.js'
import {remember, type MigrationStats} from '../stats.js'
import {perKeyOnTarget, restoreOnTarget, restorePacked, type Reply, type RestoreItem} from './target-batch.js'
import {PAYLOAD_REFUSED} from './payload-pairing.js'
import {rebuildKey} from './rebuild.js'

export type ExistingKeyPolicy = 'skip' | 'replace' | 'fail'

export interface WriteOptions {
  onConflict: ExistingKeyPolicy
  /** DUMP payloads longer than this are copied in chunks */
  bigKeyBytes: number
  chunk: ChunkOptions
  /** keys left alone under --on-conflict skip (key ids): the final repair must leave them alone too */
  skipped?: Set<string>
  /**
   * the target refuses the sources' DUMP payloads (payload-pairing.ts): every key is rebuilt
   * type by type (rebuild.ts). Without it a key refused that way is rebuilt all the same.
   */
  rebuild?: boolean
  /** the target takes hash field TTLs (HPEXPIREAT) when rebuilding */
  fieldTtl?: boolean
}

export class ConflictError extends Error {
  constructor(readonly keys: string[]) {
    super(`${keys.length} key(s) already exist on the target with other values (first: ${keys[0]})`)
  }
}

type Outcome = 'copied' | 'identical' | 'conflict' | 'refused'

/**
 * Equal payloads are equal values. Different payloads can still be equal values (a big key
 * rebuilt in chunks gets its own encoding and element order), so those are settled by the
 * type-aware digest on both sides.
 */
export async function sameValue(source: Source, target: Cluster, record: KeyRecord, existing: Buffer): Promise<boolean> {
  if (existing.equals(record.payload as Buffer)) return true
  const [mine, theirs] = await Promise.all([
    valueDigest(source.client, record.key),
    retryTransient(() => valueDigest(target as unknown as Redis, record.key)),
  ])
  return mine.type === theirs.type && mine.digest === theirs.digest
}

/** RESTORE every record (pipelined per node); BUSYKEY answers are compared with what we hold. */
async function restoreAll(source: Source, target: Cluster, records: KeyRecord[], replace: boolean): Promise<Outcome[]> {
  const errors = await restoreOnTarget(target, records as RestoreItem[], replace)
  const replies = errors.map((error) => [error] as const)
  const outcomes: Outcome[] = []
  const busy: number[] = []
  for (const [i, [error]] of replies.entries()) {
    if (!error) outcomes.push('copied')
    else if (PAYLOAD_REFUSED.test(error.message)) outcomes.push('refused')
    else if (/BUSYKEY/.test(error.message)) {
      outcomes.push('conflict')
      busy.push(i)
    } else throw error
  }
  if (busy.length === 0) return outcomes
  const existing = await perKeyOnTarget(target, busy.map((i) => records[i].key), 'DUMP', (key) => [key])
  const identical: KeyRecord[] = []
  for (const [j, i] of busy.entries()) {
    const [error, payload] = existing[j]
    if (error) throw error
    if (payload && await sameValue(source, target, records[i], payload as Buffer)) {
      outcomes[i] = 'identical'
      identical.push(records[i])
    }
  }
  // Same values; make the expiries match too (a rerun after the source changed only a TTL).
  const expiring = identical.filter((r) => r.expireAt > 0)
  const lasting = identical.filter((r) => r.expireAt === 0)
  const fixes = [
    ...(await perKeyOnTarget(target, expiring.map((r) => r.key), 'PEXPIREAT', (key, i) => [key, expiring[i].expireAt])),
    ...(await perKeyOnTarget(target, lasting.map((r) => r.key), 'PERSIST', (key) => [key])),
  ]
  for (const [error] of fixes) if (error) throw error
  return outcomes
}

/**
 * Records the target refuses as payloads, rebuilt with commands. Without `replace`, a key already
 * on the target is compared (type-aware digest) as a BUSYKEY is: identical, or a conflict.
 */
async function rebuildAll(source: Source, target: Cluster, records: KeyRecord[], replace: boolean, options: WriteOptions): Promise<Outcome[]> {
  const existing = replace ? records.map((): Reply => [null, null]) : await perKeyOnTarget(target, records.map((r) => r.key), 'DUMP', (key) => [key])
  const outcomes: Outcome[] = []
  for (const [i, record] of records.entries()) {
    const [error, payload] = existing[i]
    if (error) throw error
    if (payload) {
      outcomes.push(await sameValue(source, target, record, payload as Buffer) ? 'identical' : 'conflict')
      continue
    }
    await rebuildKey(target, record.key, record.payload as Buffer, record.expireAt, {elements: options.chunk.elements, fieldTtl: options.fieldTtl === true})
    outcomes.push('copied')
  }
  return outcomes
}

/**
 * Writes a batch. `replace` forces REPLACE whatever the policy (re-copies of keys the source
 * changed: the source is the truth for those). Throws ConflictError under --on-conflict fail,
 * after the whole batch is settled.
 */
export async function writeRecords(source: Source, target: Cluster, records: KeyRecord[], options: WriteOptions,
  stats: MigrationStats, replace = false): Promise<void> {
  const replaceAll = replace || options.onConflict === 'replace'
  const conflicts: string[] = []
  const small: KeyRecord[] = []
  for (const record of records) {
    if (!record.payload) {
      stats.vanished++
      continue
    }
    if (record.payload.length > options.bigKeyBytes) {
      const existsAlready = !replaceAll && (await retryTransient(() => target.exists(record.key))) > 0
      if (existsAlready) {
        small.push(record) // settled like any other existing key: compared, then policy
        continue
      }
      const result = await copyInChunks(source, target, record.key, record.expireAt, options.chunk)
      if (result === 'chunked') {
        stats.bigKeys++
        stats.copied++
        stats.bytes += record.payload.length
        remember(stats.examples.bigKeys, keyText(record.key))
        continue
      }
      if (result === 'vanished') {
        stats.vanished++
        continue
      }
    }
    small.push(record)
  }
  const outcomes = options.rebuild ? small.map((): Outcome => 'refused') : await restoreAll(source, target, small, replaceAll)
  const refused = small.filter((_, i) => outcomes[i] === 'refused')
  if (refused.length > 0) {
    const rebuilt = await rebuildAll(source, target, refused, replaceAll, options)
    let next = 0
    for (let i = 0; i < outcomes.length; i++) if (outcomes[i] === 'refused') outcomes[i] = rebuilt[next++]
  }
  for (const [i, outcome] of outcomes.entries()) {
    const record = small[i]
    if (outcome === 'copied') {
      stats.copied++
      stats.bytes += (record.payload as Buffer).length
    } else if (outcome === 'identical') {
      stats.identical++
    } else if (outcome === 'conflict') {
      if (options.onConflict === 'fail') conflicts.push(keyText(record.key))
      else {
        stats.conflictsSkipped++
        options.skipped?.add(keyId(record.key))
        remember(stats.examples.conflicts, keyText(record.key))
      }
    }
  }
  if (conflicts.length > 0) throw new ConflictError(conflicts)
}

/**
 * The bulk path for one SCAN page: the records at `indexes` of `page`. Every record under the
 * big-key limit is restored packed (one script call per owning master, record bytes forwarded
 * as read); the few that fail (BUSYKEY on a rerun, a slot that moved, a node failing over) and
 * the big keys then go through writeRecords, which compares, retries, routes and chunks them,
 * after `settle` (duplicates.ts) when given has taken out and marked the duplicates.
 */
export async function writePage(source: Source, target: Cluster, page: RecordPage, indexes: number[],
  options: WriteOptions, stats: MigrationStats, settle?: (records: KeyRecord[]) => Promise<{ordinary: KeyRecord[]; replace: KeyRecord[]}>): Promise<void> {
  const replace = options.onConflict === 'replace'
  const packed: number[] = []
  const settleOneByOne: number[] = []
  for (const i of indexes) {
    const length = payloadLengthOf(page, i)
    if (length === VANISHED) stats.vanished++
    else if (length > options.bigKeyBytes || options.rebuild) settleOneByOne.push(i)
    else packed.push(i)
  }
  const failed = packed.length > 0 ? await restorePacked(target, page, packed, replace) : new Map<number, Error>()
  for (const i of packed) {
    if (failed.has(i)) settleOneByOne.push(i)
    else {
      stats.copied++
      stats.bytes += payloadLengthOf(page, i)
    }
  }
  if (settleOneByOne.length === 0) return
  const records = settleOneByOne.map((i): KeyRecord => ({key: keyOf(page, i), payload: payloadOf(page, i), expireAt: expireAtOf(page, i)}))
  if (!settle) {
    await writeRecords(source, target, records, options, stats)
    return
  }
  const {ordinary, replace: replacing} = await settle(records)
  await writeRecords(source, target, ordinary, options, stats)
  await writeRecords(source, target, replacing, options, stats, true)
}

/** Deletes keys that no source holds any more (online mode: deletes and expiries). */
export async function deleteKeys(target: Cluster, keys: Buffer[], stats: MigrationStats): Promise<void> {
  const replies = await perKeyOnTarget(target, keys, 'DEL', (key) => [key])
  for (const [error, count] of replies) {
    if (error) throw error
    if (Number(count) > 0) stats.deleted++
  }
}
