// A key copied type by type: for a target that refuses the source's DUMP payloads (an older
// server: Redis 7.0 takes RDB 10, Redis 8.0 writes 12, Valkey 9 writes 80, and each refuses
// the others' newer ones with "DUMP payload version or checksum are wrong"). The payload already
// read from the source is decoded by the RDB reader (src/protocol/rdb) and the value rebuilt with
// the type's own commands under the key's same-slot temporary name (temp-key.ts), its absolute
// expiry set, then RENAMEd over the key in one step, as big keys are.
//
// What commands cannot carry: a hash field's TTL on a target without HPEXPIREAT (before Redis
// 7.4 / Valkey 9.0) is dropped (counted); a stream's consumer groups keep their last-delivered
// ID, entries-read and pending entries (XCLAIM ... FORCE recreates each with its owner, delivery
// time and count), but a consumer's seen/active times restart at the copy, and a pending entry
// whose message was deleted cannot be recreated. Module values have no commands here: refused.
import type {Cluster} from 'ioredis'
import {decodeValue, splitDumpPayload, type RdbValue, type StreamValue, VALKEY_RDB_VERSION} from '../../protocol/rdb/index.js'
import {keyText} from '../../key-text.js'
import {retryTransient} from './retry.js'
import {sameSlotTempKey} from './temp-key.js'

type Args = Array<string | number | Buffer>

export interface RebuildOptions {
  /** elements per command (list items, hash fields, members, stream entries) */
  elements: number
  /** the target has HPEXPIREAT (hash field TTLs) */
  fieldTtl: boolean
}

export interface RebuildOutcome {
  /** hash field TTLs the target could not take */
  droppedFieldTtls: number
}

export class RebuildError extends Error {}

/** The value a DUMP payload holds (any RDB version the reader knows). */
export function valueOfPayload(key: Buffer, payload: Buffer): RdbValue {
  const parts = splitDumpPayload(payload)
  if (!parts) throw new RebuildError(`the DUMP payload of ${keyText(key)} does not hold together (checksum): it cannot be rebuilt.`)
  if (parts.typeByte === 6 || parts.typeByte === 7) throw new RebuildError(`${keyText(key)} holds a module value, which cannot be rebuilt with commands on an older target.`)
  return decodeValue(parts.typeByte, parts.valueBytes, {flavor: parts.rdbVersion === VALKEY_RDB_VERSION ? 'valkey' : 'redis'})
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** The commands that rebuild `value` under `name` (the expiry and rename come after). */
export function rebuildCommands(name: Buffer, value: RdbValue, options: RebuildOptions, outcome: RebuildOutcome): Args[] {
  const n = Math.max(1, options.elements)
  switch (value.type) {
    case 'string': return [['SET', name, value.value]]
    case 'list': return chunks(value.elements, n).map((items) => ['RPUSH', name, ...items])
    case 'set': return chunks(value.members, n).map((items) => ['SADD', name, ...items])
    case 'zset': return chunks(value.entries, n).map((entries) => ['ZADD', name, ...entries.flatMap((e) => [scoreText(e.score), e.member])])
    case 'hash': {
      const commands: Args[] = chunks(value.entries, n).map((entries) => ['HSET', name, ...entries.flatMap((e) => [e.field, e.value])])
      for (const entry of value.entries) {
        if (entry.expireAtMs === undefined) continue
        if (options.fieldTtl) commands.push(['HPEXPIREAT', name, entry.expireAtMs, 'FIELDS', 1, entry.field])
        else outcome.droppedFieldTtls++
      }
      return commands
    }
    case 'stream': return streamCommands(name, value, n)
  }
}

function scoreText(score: number): string {
  if (score === Infinity) return '+inf'
  if (score === -Infinity) return '-inf'
  return String(score)
}

function streamCommands(name: Buffer, stream: StreamValue, n: number): Args[] {
  const commands: Args[] = stream.entries.map((entry) => ['XADD', name, entry.id, ...entry.fields])
  // an empty stream still exists: one entry added and trimmed away at once
  if (stream.entries.length === 0) commands.push(['XADD', name, 'MAXLEN', '0', '0-1', 'x', 'y'])
  const setId: Args = ['XSETID', name, stream.lastId]
  if (stream.entriesAdded !== undefined) setId.push('ENTRIESADDED', stream.entriesAdded)
  if (stream.maxDeletedId !== undefined) setId.push('MAXDELETEDID', stream.maxDeletedId)
  commands.push(setId)
  for (const group of stream.groups) {
    const create: Args = ['XGROUP', 'CREATE', name, group.name, group.lastId]
    if (group.entriesRead !== undefined && group.entriesRead >= 0) create.push('ENTRIESREAD', group.entriesRead)
    commands.push(create)
    for (const consumer of group.consumers) commands.push(['XGROUP', 'CREATECONSUMER', name, group.name, consumer.name])
    for (const pending of chunks(group.pending.filter((p) => p.consumer !== undefined), n)) {
      // one XCLAIM per entry: each has its own delivery time and count
      for (const p of pending) {
        commands.push(['XCLAIM', name, group.name, p.consumer!, 0, p.id, 'TIME', p.deliveryTimeMs, 'RETRYCOUNT', p.deliveryCount, 'FORCE', 'JUSTID'])
      }
    }
  }
  return commands
}

/**
 * Rebuilds `key` on the target from its DUMP payload: commands under the temporary name, the
 * absolute expiry (ms, 0 for none), then RENAME. A key that has no same-slot temporary name
 * (a '}' and no hash tag) is rebuilt in place inside MULTI/EXEC instead.
 */
export async function rebuildKey(target: Cluster, key: Buffer, payload: Buffer, expireAt: number, options: RebuildOptions): Promise<RebuildOutcome> {
  const outcome: RebuildOutcome = {droppedFieldTtls: 0}
  const value = valueOfPayload(key, payload)
  const temp = sameSlotTempKey(key)
  const name = temp ?? key
  const commands: Args[] = [['DEL', name], ...rebuildCommands(name, value, options, outcome)]
  if (expireAt > 0) commands.push(['PEXPIREAT', name, expireAt])
  if (temp) commands.push(['RENAME', temp, key])
  await retryTransient(() => runInOrder(target, commands, temp === undefined))
  return outcome
}

/** The commands on the key's node in order, as one pipeline (or one transaction); the first error is thrown. */
async function runInOrder(target: Cluster, commands: Args[], transaction: boolean): Promise<void> {
  const batch = transaction ? target.multi() : target.pipeline()
  for (const [name, ...args] of commands) batch.call(String(name), ...args)
  const replies = (await batch.exec()) as Array<[Error | null, unknown]> | null
  if (replies === null) throw new RebuildError('the rebuild transaction was aborted')
  for (const [error] of replies) if (error) throw error
}
