// Packed batches: many keys, or many RESTORE records, in ONE command argument. Sending a batch as
// thousands of separate arguments costs us a command-building step per argument (the bulk of a
// copy's CPU on our side); one packed argument is a single buffer copy, and the Lua script on the
// server unpacks it with `struct` (scripts.ts). Layouts, all lengths unsigned 32-bit big-endian:
// - keys:    [key length][key] ...
// - records: [key length][payload length][expiry length, 1 byte][key][expiry as decimal digits][payload] ...
//   The payload is a DUMP payload forwarded byte for byte, the expiry an absolute unix time in ms
//   (0: none) as RESTORE ... ABSTTL takes it.

export function packKeys(keys: readonly Buffer[], indexes?: readonly number[]): Buffer {
  const count = indexes ? indexes.length : keys.length
  let size = 0
  for (let j = 0; j < count; j++) size += 4 + keys[indexes ? indexes[j] : j].length
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (let j = 0; j < count; j++) {
    const key = keys[indexes ? indexes[j] : j]
    at = out.writeUInt32BE(key.length, at)
    at += key.copy(out, at)
  }
  return out
}

export interface RecordColumns {
  keys: readonly Buffer[]
  /** absolute expiry in unix ms, 0 for none */
  expireAt: readonly number[]
  payloads: ReadonlyArray<Buffer | null>
}

/** Packs the records at `indexes` (each must have a payload) into one RESTORE batch. */
export function packRecords(columns: RecordColumns, indexes: readonly number[]): Buffer {
  const expiries: string[] = new Array(indexes.length)
  let size = 0
  for (let j = 0; j < indexes.length; j++) {
    const i = indexes[j]
    expiries[j] = String(columns.expireAt[i])
    size += 9 + columns.keys[i].length + expiries[j].length + (columns.payloads[i] as Buffer).length
  }
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (let j = 0; j < indexes.length; j++) {
    const i = indexes[j]
    const key = columns.keys[i]
    const payload = columns.payloads[i] as Buffer
    at = out.writeUInt32BE(key.length, at)
    at = out.writeUInt32BE(payload.length, at)
    at = out.writeUInt8(expiries[j].length, at)
    at += key.copy(out, at)
    at += out.write(expiries[j], at, 'latin1')
    at += payload.copy(out, at)
  }
  return out
}
