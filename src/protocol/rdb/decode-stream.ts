// Streams decoded: entries from their listpack nodes (IDs delta-encoded against each node's master
// ID, fields shared with the master entry when flagged), the stream's metadata, and every consumer
// group with its pending entries and consumers. IDs are "ms-seq" strings, exact over 64 bits.
import {blob} from './blob.js'
import {RDB_TYPE as T} from './constants.js'
import type {Cursor} from './cursor.js'
import {CorruptValue, RdbError} from './errors.js'
import {elementBytes, elementInteger, listpackElements, type PackedElement} from './blobs/listpack.js'

export interface StreamEntry {
  id: string
  /** field, value, field, value... */
  fields: Buffer[]
}

export interface StreamPending {
  id: string
  deliveryTimeMs: number
  deliveryCount: number
  /** the consumer that owns it (every pending entry has one in files Redis writes) */
  consumer?: Buffer
}

export interface StreamConsumer {
  name: Buffer
  seenTimeMs: number
  /** RDB_TYPE_STREAM_LISTPACKS_3 (Redis 7.2+) */
  activeTimeMs?: number
  pending: string[]
}

export interface StreamGroup {
  name: Buffer
  lastId: string
  /** entries read (Redis 7.0+); -1 when the server could not tell */
  entriesRead?: number
  pending: StreamPending[]
  consumers: StreamConsumer[]
}

export interface StreamValue {
  type: 'stream'
  entries: StreamEntry[]
  length: number
  lastId: string
  firstId?: string
  maxDeletedId?: string
  entriesAdded?: number
  groups: StreamGroup[]
}

const FLAG_DELETED = 1
const FLAG_SAMEFIELDS = 2
const UINT64_MAX = (1n << 64n) - 1n

export function decodeStream(cursor: Cursor, type: number): StreamValue {
  const entries: StreamEntry[] = []
  for (let nodes = cursor.count(); nodes > 0; nodes--) {
    const masterAt = cursor.offset
    const master = cursor.string()
    if (master.length !== 16) cursor.fail('a 16-byte stream node ID', `a stream node ID of ${master.length} bytes`)
    const at = cursor.offset
    const elements = blob(cursor, listpackElements)
    try {
      nodeEntries(elements, master.readBigUInt64BE(0), master.readBigUInt64BE(8), entries)
    } catch (error) {
      if (!(error instanceof CorruptValue)) throw error
      throw new RdbError(at, error.expected, `the stream node at byte ${masterAt} is corrupt`)
    }
  }
  const value: StreamValue = {type: 'stream', entries, length: cursor.count(), lastId: readId(cursor), groups: []}
  if (type !== T.STREAM_LISTPACKS) {
    value.firstId = readId(cursor)
    value.maxDeletedId = readId(cursor)
    value.entriesAdded = Number(cursor.bigLength())
  }
  for (let groups = cursor.count(); groups > 0; groups--) value.groups.push(readGroup(cursor, type))
  return value
}

function readId(cursor: Cursor): string {
  const ms = cursor.bigLength()
  return `${ms}-${cursor.bigLength()}`
}

function rawId(cursor: Cursor): string {
  const bytes = cursor.bytes(16)
  return `${bytes.readBigUInt64BE(0)}-${bytes.readBigUInt64BE(8)}`
}

function readGroup(cursor: Cursor, type: number): StreamGroup {
  const group: StreamGroup = {name: cursor.string(), lastId: readId(cursor), pending: [], consumers: []}
  if (type !== T.STREAM_LISTPACKS) {
    const read = cursor.bigLength()
    group.entriesRead = read === UINT64_MAX ? -1 : Number(read)
  }
  const byId = new Map<string, StreamPending>()
  for (let n = cursor.count(); n > 0; n--) {
    const pending: StreamPending = {id: rawId(cursor), deliveryTimeMs: cursor.uint64le(), deliveryCount: cursor.count()}
    group.pending.push(pending)
    byId.set(pending.id, pending)
  }
  for (let n = cursor.count(); n > 0; n--) {
    const consumer: StreamConsumer = {name: cursor.string(), seenTimeMs: cursor.uint64le(), pending: []}
    if (type === T.STREAM_LISTPACKS_3) consumer.activeTimeMs = cursor.uint64le()
    for (let p = cursor.count(); p > 0; p--) {
      const id = rawId(cursor)
      const owned = byId.get(id)
      if (owned === undefined) cursor.fail(`pending entry ${id} in the group's pending list`, 'a consumer owns an entry its group does not list')
      owned.consumer = consumer.name
      consumer.pending.push(id)
    }
    group.consumers.push(consumer)
  }
  return group
}

function integer(element: PackedElement | undefined, what: string): bigint {
  const value = element === undefined ? undefined : elementInteger(element)
  if (value === undefined) throw new CorruptValue(0, what)
  return value
}

/** Appends the live entries of one stream node (a listpack) to `out`. */
function nodeEntries(elements: PackedElement[], masterMs: bigint, masterSeq: bigint, out: StreamEntry[]): void {
  const fieldCount = Number(integer(elements[2], 'the master entry field count'))
  if (fieldCount < 0 || 3 + fieldCount >= elements.length) throw new CorruptValue(0, 'master entry fields inside the node')
  const masterFields = elements.slice(3, 3 + fieldCount).map(elementBytes)
  let i = 3 + fieldCount
  if (integer(elements[i++], 'the master entry terminator') !== 0n) throw new CorruptValue(0, 'the master entry terminator 0')
  while (i < elements.length) {
    const flags = Number(integer(elements[i++], 'stream entry flags'))
    const ms = masterMs + integer(elements[i++], 'a stream entry ID (ms delta)')
    const seq = masterSeq + integer(elements[i++], 'a stream entry ID (seq delta)')
    const fields: Buffer[] = []
    if (flags & FLAG_SAMEFIELDS) {
      for (let f = 0; f < fieldCount; f++) fields.push(masterFields[f], valueAt(elements, i++))
    } else {
      const count = Number(integer(elements[i++], 'a stream entry field count'))
      if (count < 0 || i + 2 * count > elements.length) throw new CorruptValue(0, 'stream entry fields inside the node')
      for (let f = 0; f < 2 * count; f++) fields.push(valueAt(elements, i++))
    }
    integer(elements[i++], 'a stream entry lp-count')
    if (!(flags & FLAG_DELETED)) out.push({id: `${ms}-${seq}`, fields})
  }
}

function valueAt(elements: PackedElement[], i: number): Buffer {
  if (i >= elements.length) throw new CorruptValue(0, 'a stream entry value inside the node')
  return elementBytes(elements[i])
}
