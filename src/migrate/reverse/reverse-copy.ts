// The way back: every key of a cluster copied into a twemproxy pool, each to the server the pool's
// hashing places it on, so a cut-over can be reversed with what was written to the cluster since.
// Each cluster master is scanned in parallel (the cluster source's reads, source/reader.ts); a
// page's records are grouped by pool server and restored there in one script call each, byte for
// byte as read. Keys already on the pool with the same value are "identical" (a rerun); another
// value follows --on-conflict. The slots that were moving are copied apart, as for a cluster
// source. Online, the cluster's changes are followed (keyspace notifications, from before the
// first page) and copied again, or deleted on the pool, until the cluster is quiet.
import {setTimeout as sleep} from 'node:timers/promises'
import {keyText} from '../../key-text.js'
import type {ChangeFeed} from '../changes/keyspace-notifications.js'
import {expireAtOf, gatherRecords, keyOf, payloadLengthOf, payloadOf, VANISHED, type RecordPage} from '../copy/record-pack.js'
import {script} from '../copy/scripts.js'
import {readKeys, readPage, type KeyRecord} from '../source/reader.js'
import type {Source, SourceSet} from '../source/sources.js'
import {remember, type MigrationStats} from '../stats.js'
import {ConflictError, type ExistingKeyPolicy} from '../target/writer.js'
import {valueDigest} from '../verify/digest.js'
import type {PoolServer, WritablePool} from './pool-target.js'

export interface ReverseCopyOptions {
  onConflict: ExistingKeyPolicy
  scanCount: number
  stopRequested: () => boolean
}

/** Every master of the cluster copied into the pool; then the slots that were moving. */
export async function copyClusterToPool(sources: SourceSet, pool: WritablePool, stats: MigrationStats, options: ReverseCopyOptions): Promise<'done' | 'interrupted'> {
  await Promise.all(sources.sources.map(async (source) => {
    let cursor = '0'
    for (let round = 0; round < 1e9 && !options.stopRequested(); round++) {
      const page = await readPage(source, cursor, options.scanCount)
      cursor = page.cursor
      stats.scanned += page.count
      await writePageToPool(source, page, pool, stats, options.onConflict)
      if (cursor === '0') break
    }
  }))
  if (options.stopRequested()) return 'interrupted'
  await sources.openSlots?.copy(async (source, keys) => {
    stats.scanned += keys.length
    await writeRecordsToPool(source, (await readKeys(source, keys)).filter((r) => r.payload), pool, stats, options.onConflict, false)
  })
  return 'done'
}

async function writePageToPool(source: Source, page: RecordPage, pool: WritablePool, stats: MigrationStats, onConflict: ExistingKeyPolicy): Promise<void> {
  const groups = new Map<PoolServer, number[]>()
  for (let i = 0; i < page.count; i++) {
    if (payloadLengthOf(page, i) === VANISHED) {
      stats.vanished++
      continue
    }
    const server = pool.ownerOf(keyOf(page, i))
    const list = groups.get(server) ?? []
    list.push(i)
    groups.set(server, list)
  }
  const failed: KeyRecord[] = []
  await Promise.all([...groups].map(async ([server, indexes]) => {
    const reply = await script(server.client, 'twlabRestorePacked')(0, onConflict === 'replace' ? '1' : '0', gatherRecords(page, indexes)) as unknown[]
    const failedHere = new Map<number, string>()
    for (let f = 0; f + 1 < reply.length; f += 2) failedHere.set(indexes[Number(reply[f]) - 1], String(reply[f + 1]))
    for (const i of indexes) {
      const error = failedHere.get(i)
      if (error === undefined) {
        stats.copied++
        stats.bytes += payloadLengthOf(page, i)
      } else if (/^BUSYKEY/.test(error)) failed.push({key: keyOf(page, i), payload: payloadOf(page, i), expireAt: expireAtOf(page, i)})
      else throw new Error(`pool server ${server.name} refused key ${keyText(keyOf(page, i))}: ${error}`)
    }
  }))
  if (failed.length > 0) await settleExisting(source, failed, pool, stats, onConflict)
}

/** Keys the pool already holds: the same value is identical; another one follows the policy. */
async function settleExisting(source: Source, records: KeyRecord[], pool: WritablePool, stats: MigrationStats, onConflict: ExistingKeyPolicy): Promise<void> {
  const conflicts: string[] = []
  for (const record of records) {
    const server = pool.ownerOf(record.key)
    const existing = await server.client.dumpBuffer(record.key)
    let same = existing !== null && existing.equals(record.payload as Buffer)
    if (!same && existing !== null) {
      const [mine, theirs] = await Promise.all([valueDigest(source.client, record.key), valueDigest(server.client, record.key)])
      same = mine.type === theirs.type && mine.digest === theirs.digest
    }
    if (same) {
      stats.identical++
      await (record.expireAt > 0 ? server.client.pexpireat(record.key, record.expireAt) : server.client.persist(record.key))
    } else if (onConflict === 'fail') conflicts.push(keyText(record.key))
    else {
      stats.conflictsSkipped++
      remember(stats.examples.conflicts, keyText(record.key))
    }
  }
  if (conflicts.length > 0) throw new ConflictError(conflicts)
}

/** RESTORE records on their pool servers (REPLACE when `replace`: the cluster is the truth for changed keys). */
export async function writeRecordsToPool(source: Source, records: KeyRecord[], pool: WritablePool, stats: MigrationStats,
  onConflict: ExistingKeyPolicy, replace: boolean): Promise<void> {
  const busy: KeyRecord[] = []
  for (const record of records) {
    const server = pool.ownerOf(record.key)
    const args: Array<string | number | Buffer> = [record.key, record.expireAt, record.payload as Buffer, 'ABSTTL']
    if (replace || onConflict === 'replace') args.push('REPLACE')
    try {
      await server.client.callBuffer('RESTORE', ...args)
      stats.copied++
      stats.bytes += (record.payload as Buffer).length
    } catch (error) {
      if (!/BUSYKEY/.test((error as Error).message)) throw error
      busy.push(record)
    }
  }
  if (busy.length > 0) await settleExisting(source, busy, pool, stats, onConflict)
}

/** The cluster master serving a key first, then the others (a key being moved). */
function candidates(sources: SourceSet, key: Buffer): Source[] {
  const owner = sources.ownerOf ? sources.sources[sources.ownerOf(key)] : sources.sources[0]
  return [owner, ...sources.sources.filter((s) => s !== owner)]
}

/** Online: changed keys copied again (or deleted on the pool) until the cluster is quiet for `quietMs`. */
export async function followClusterChanges(sources: SourceSet, pool: WritablePool, feed: ChangeFeed, stats: MigrationStats,
  options: {quietMs: number; stopRequested: () => boolean}): Promise<void> {
  for (let round = 0; round < 1e9; round++) {
    const keys = feed.take(1000)
    for (const key of keys) {
      let record: KeyRecord | undefined
      let from: Source | undefined
      for (const source of candidates(sources, key)) {
        const [read] = await readKeys(source, [key])
        if (read.payload) {
          record = read
          from = source
          break
        }
      }
      if (record && from) {
        await writeRecordsToPool(from, [record], pool, stats, 'replace', true)
        stats.recopied++
      } else if (await pool.ownerOf(key).client.del(key) > 0) stats.deleted++
    }
    if (keys.length === 0) {
      if (options.stopRequested() || Date.now() - feed.lastChangeAt >= options.quietMs) return
      await sleep(20)
    }
  }
}
