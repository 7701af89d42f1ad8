// Copying a key again from its source while that source's replication stream is being applied.
// Needed where a command cannot be replayed on the cluster (keys of several slots, a key moving
// between databases, a key on a source that does not own it) and for verify's repairs. The race
// to avoid: the value read now already contains commands the stream has not delivered yet, and
// applying them on top would count them twice. So each read is one transaction that also asks the
// source's replication offset: the value is exactly the state at that offset, and the caller
// skips this key's commands up to it (StreamApplier's skip list).
import type {CopyContext} from '../copy/context.js'
import type {KeyRecord} from '../source/reader.js'
import type {Source} from '../source/sources.js'
import {deleteKeys, writeRecords} from '../target/writer.js'

export interface OffsetRead {
  records: KeyRecord[]
  /** the source's master_repl_offset when the values were read */
  offset: number
}

/** DUMP and absolute expiry of every key, with the replication offset they were read at. */
export async function readKeysAtOffset(source: Source, keys: Buffer[]): Promise<OffsetRead> {
  const before = Date.now()
  const multi = source.client.multi()
  for (const key of keys) {
    multi.dumpBuffer(key)
    if (source.hasExpireTime) multi.pexpiretime(key)
    else multi.pttl(key)
  }
  multi.info('replication')
  const replies = (await multi.exec()) ?? []
  for (const [error] of replies) if (error) throw error
  const info = String(replies[replies.length - 1][1])
  const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? Number.NaN)
  if (!Number.isFinite(offset)) throw new Error(`${source.name} did not report its replication offset`)
  const records = keys.map((key, i): KeyRecord => {
    const payload = (replies[2 * i][1] as Buffer | null) ?? null
    const time = Number(replies[2 * i + 1][1])
    const expireAt = payload && time >= 0 ? (source.hasExpireTime ? time : before + time) : 0
    return {key, payload, expireAt}
  })
  return {records, offset}
}

/**
 * Copies `keys` again: each from the source that owns it when pool hashing says (else from
 * `source`), replacing the target's value; keys no source holds are deleted on the target.
 * `readAt(sourceIndex, key, offset)` is told the offset each key was read at.
 */
export async function recopyAtOffset(ctx: CopyContext, source: Source, keys: Buffer[],
  readAt: (sourceIndex: number, key: Buffer, offset: number) => void): Promise<void> {
  const {ownerOf, sources} = ctx.sources
  const byReader = new Map<Source, Buffer[]>()
  for (const key of keys) {
    const reader = ownerOf ? sources[ownerOf(key)] : source
    let list = byReader.get(reader)
    if (!list) byReader.set(reader, (list = []))
    list.push(key)
  }
  const gone: Buffer[] = []
  const copyFound = async (from: Source, read: OffsetRead): Promise<Buffer[]> => {
    for (const record of read.records) readAt(from.index, record.key, read.offset)
    const found = read.records.filter((r) => r.payload)
    await writeRecords(from, ctx.target.client, found, ctx.write, ctx.stats, true)
    ctx.stats.recopied += found.length
    return read.records.filter((r) => !r.payload).map((r) => r.key)
  }
  for (const [reader, list] of byReader) {
    let missing = await copyFound(reader, await readKeysAtOffset(reader, list))
    // the owner does not hold it: the copy on the source whose stream named it is the one
    if (missing.length > 0 && reader !== source) missing = await copyFound(source, await readKeysAtOffset(source, missing))
    gone.push(...missing)
  }
  if (gone.length > 0) await deleteKeys(ctx.target.client, gone, ctx.stats)
}
