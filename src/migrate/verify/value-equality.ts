// Values compared by what they hold, not how a server encoded them: two DUMP payloads (or a
// payload and a value read from an RDB file) decoded by the RDB reader and compared whatever the
// encoding (listpack or hash table, ziplist or quicklist, another RDB version) and the member
// order where order is not part of the value (sets, hashes, sorted sets). Verify settles with it
// the keys whose payloads differ, a huge hash-table set or hash among them: two DUMPs and a pass
// over each here cost far less server time than digesting it member by member on both servers
// (digest.ts, kept for values too big to hold here). Hash-table sets and hashes listing the same
// members, encoded alike, in each server's own order are settled without decoding (sameMembers).
import {decodeValue, sameMembers, splitDumpPayload, type RdbValue, type StreamValue} from '../../protocol/rdb/index.js'

/**
 * A HyperLogLog is a string whose header caches the last PFCOUNT (bytes 8-15, and a validity
 * bit). PFCOUNT rewrites that cache, so two equal HyperLogLogs can differ there: it is left out.
 */
export function withoutHllCache(chunk: Buffer): Buffer {
  if (chunk.length < 16 || chunk.toString('latin1', 0, 4) !== 'HYLL') return chunk
  return Buffer.concat([chunk.subarray(0, 5), chunk.subarray(16)])
}

const text = (bytes: Buffer) => bytes.toString('latin1') // one character per byte: a Map key for binary data

function sameBuffers(a: Buffer[], b: Buffer[]): boolean {
  return a.length === b.length && a.every((item, i) => item.equals(b[i]))
}

function sameStreams(a: StreamValue, b: StreamValue): boolean {
  if (a.lastId !== b.lastId || a.entries.length !== b.entries.length || a.groups.length !== b.groups.length) return false
  if (!a.entries.every((entry, i) => entry.id === b.entries[i].id && sameBuffers(entry.fields, b.entries[i].fields))) return false
  return a.groups.every((group, i) => {
    const other = b.groups[i]
    return group.name.equals(other.name) && group.lastId === other.lastId &&
      group.pending.length === other.pending.length && group.pending.every((entry, j) => entry.id === other.pending[j].id)
  })
}

/**
 * Whether two decoded values hold the same thing, whatever their encoding: member order counts
 * only where it is part of the value (lists, streams); a hash's field expiries count unless
 * `fieldExpiries` is false. Sets, hashes and sorted sets are compared through a Map of one side,
 * no sort: a big hash-table value costs two passes over its members.
 */
export function sameValue(a: RdbValue, b: RdbValue, fieldExpiries = true): boolean {
  switch (a.type) {
    case 'string': return b.type === 'string' && withoutHllCache(a.value).equals(withoutHllCache(b.value))
    case 'list': return b.type === 'list' && sameBuffers(a.elements, b.elements)
    case 'set': {
      if (b.type !== 'set' || a.members.length !== b.members.length) return false
      const members = new Set(a.members.map(text))
      return members.size === a.members.length && b.members.every((member) => members.has(text(member)))
    }
    case 'zset': {
      if (b.type !== 'zset' || a.entries.length !== b.entries.length) return false
      const scores = new Map(a.entries.map((entry) => [text(entry.member), entry.score]))
      return b.entries.every((entry) => scores.get(text(entry.member)) === entry.score)
    }
    case 'hash': {
      if (b.type !== 'hash' || a.entries.length !== b.entries.length) return false
      const fields = new Map(a.entries.map((entry) => [text(entry.field), entry]))
      return b.entries.every((entry) => {
        const mine = fields.get(text(entry.field))
        return mine !== undefined && mine.value.equals(entry.value) && (!fieldExpiries || (mine.expireAtMs ?? 0) === (entry.expireAtMs ?? 0))
      })
    }
    case 'stream': return b.type === 'stream' && sameStreams(a, b)
  }
}

/** A DUMP payload's value, decoded; undefined when its checksum or encoding does not hold. */
export function decodePayload(payload: Buffer): RdbValue | undefined {
  const parts = splitDumpPayload(payload)
  if (!parts) return undefined
  try {
    return decodeValue(parts.typeByte, parts.valueBytes, {flavor: parts.rdbVersion >= 80 ? 'valkey' : 'redis'})
  } catch {
    return undefined
  }
}

export type PayloadComparison = {same: true} | {same: false; kind: 'type' | 'value'; types: [string, string]} | {same: undefined}

function hasFieldExpiries(value: RdbValue): boolean {
  return value.type === 'hash' && value.entries.some((entry) => (entry.expireAtMs ?? 0) > 0)
}

/** Whether two DUMP payloads hold the same value; `same: undefined` when one cannot be decoded here. */
export function comparePayloads(a: Buffer, b: Buffer): PayloadComparison {
  if (a.equals(b)) return {same: true}
  // a hash-table set or hash whose members each server lists in its own order: the same members
  // encoded the same way settle it without decoding either side
  if (sameMembers(a, b)) return {same: true}
  const [mine, theirs] = [decodePayload(a), decodePayload(b)]
  if (!mine || !theirs) return {same: undefined}
  if (mine.type !== theirs.type) return {same: false, kind: 'type', types: [mine.type, theirs.type]}
  // a server without field expiries (before Redis 7.4) holds such a hash without them: its fields
  // and values are compared, their expiries only where both sides have some
  const fieldExpiries = hasFieldExpiries(mine) && hasFieldExpiries(theirs)
  if (!sameValue(mine, theirs, fieldExpiries)) return {same: false, kind: 'value', types: [mine.type, theirs.type]}
  return {same: true}
}
