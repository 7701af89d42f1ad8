// Values compared by what they hold, not how a server encoded them: two DUMP payloads (or a
// payload and a value read from an RDB file) decoded by the RDB reader and reduced to one digest
// that ignores the encoding (listpack or hash table, ziplist or quicklist, another RDB version)
// and the member order where order is not part of the value (sets, hashes, sorted sets). Verify
// settles with it the keys whose payloads differ, a big hash-table set or hash among them: two
// DUMPs and a sort here cost far less server time than digesting it member by member on both
// servers (digest.ts, kept for values too big to hold here).
import {createHash} from 'node:crypto'
import {decodeValue, splitDumpPayload, type RdbValue} from '../../protocol/rdb/index.js'

/** Length-prefixed items laid end to end in one buffer, hashed once at the end. */
class CanonicalBytes {
  private bytes = Buffer.allocUnsafe(1 << 16)
  private size = 0

  add(item: Buffer | string): void {
    const length = typeof item === 'string' ? Buffer.byteLength(item) : item.length
    this.reserve(4 + length)
    this.bytes.writeUInt32BE(length, this.size)
    this.size += 4
    if (typeof item === 'string') this.size += this.bytes.write(item, this.size)
    else this.size += item.copy(this.bytes, this.size)
  }

  digest(): string {
    return createHash('sha1').update(this.bytes.subarray(0, this.size)).digest('hex')
  }

  private reserve(more: number): void {
    if (this.size + more <= this.bytes.length) return
    let length = this.bytes.length * 2
    while (length < this.size + more) length *= 2
    const wider = Buffer.allocUnsafe(length)
    this.bytes.copy(wider, 0, 0, this.size)
    this.bytes = wider
  }
}

/**
 * A HyperLogLog is a string whose header caches the last PFCOUNT (bytes 8-15, and a validity
 * bit). PFCOUNT rewrites that cache, so two equal HyperLogLogs can differ there: it is left out.
 */
export function withoutHllCache(chunk: Buffer): Buffer {
  if (chunk.length < 16 || chunk.toString('latin1', 0, 4) !== 'HYLL') return chunk
  return Buffer.concat([chunk.subarray(0, 5), chunk.subarray(16)])
}

/**
 * A digest of a decoded value that ignores encoding and member order where order is not part of
 * the value; a hash's field expiries are part of it unless `fieldExpiries` is false.
 */
export function canonical(value: RdbValue, fieldExpiries = true): string {
  const out = new CanonicalBytes()
  out.add(value.type)
  switch (value.type) {
    case 'string': out.add(withoutHllCache(value.value)); break
    case 'list': for (const element of value.elements) out.add(element); break
    case 'set': for (const member of [...value.members].sort(Buffer.compare)) out.add(member); break
    case 'zset':
      for (const entry of [...value.entries].sort((a, b) => Buffer.compare(a.member, b.member))) {
        out.add(entry.member)
        out.add(String(entry.score))
      }
      break
    case 'hash':
      for (const entry of [...value.entries].sort((a, b) => Buffer.compare(a.field, b.field))) {
        out.add(entry.field)
        out.add(entry.value)
        if (fieldExpiries) out.add(String(entry.expireAtMs ?? 0))
      }
      break
    case 'stream':
      for (const entry of value.entries) {
        out.add(entry.id)
        for (const field of entry.fields) out.add(field)
      }
      out.add(value.lastId)
      for (const group of value.groups) {
        out.add(group.name)
        out.add(group.lastId)
        for (const pending of group.pending) out.add(pending.id)
      }
      break
  }
  return out.digest()
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
  const [mine, theirs] = [decodePayload(a), decodePayload(b)]
  if (!mine || !theirs) return {same: undefined}
  if (mine.type !== theirs.type) return {same: false, kind: 'type', types: [mine.type, theirs.type]}
  // a server without field expiries (before Redis 7.4) holds such a hash without them: its fields
  // and values are compared, their expiries only where both sides have some
  const fieldExpiries = hasFieldExpiries(mine) && hasFieldExpiries(theirs)
  if (canonical(mine, fieldExpiries) !== canonical(theirs, fieldExpiries)) return {same: false, kind: 'value', types: [mine.type, theirs.type]}
  return {same: true}
}
