// DUMP/RESTORE payloads built from a value's own bytes: type byte, encoded value, the RDB version
// as 2 little-endian bytes, and the CRC-64 of all that as 8 little-endian bytes, as DUMP writes
// them. A target accepts the payload when its RDB version is at least `rdbVersion` (Valkey also
// when its rdb-version-check is relaxed).
import {Crc64} from './crc64.js'

/** RDB version (2 bytes) and CRC-64 (8): what closes every payload after its value */
export const DUMP_FOOTER_BYTES = 10

export function restorePayload(typeByte: number, valueBytes: Uint8Array, rdbVersion: number): Buffer {
  const payload = Buffer.allocUnsafe(1 + valueBytes.length + DUMP_FOOTER_BYTES)
  payload[0] = typeByte
  payload.set(valueBytes, 1)
  let pos = 1 + valueBytes.length
  payload[pos++] = rdbVersion & 0xff
  payload[pos++] = (rdbVersion >> 8) & 0xff
  new Crc64().update(payload, 0, pos).digestBytes().copy(payload, pos)
  return payload
}

/** The parts of a DUMP payload, with its checksum checked; undefined when it does not hold together. */
export function splitDumpPayload(payload: Uint8Array): {typeByte: number; valueBytes: Buffer; rdbVersion: number} | undefined {
  if (payload.length < 1 + DUMP_FOOTER_BYTES) return undefined
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.length)
  const crcAt = bytes.length - 8
  const declared = bytes.readBigUInt64LE(crcAt)
  if (new Crc64().update(bytes, 0, crcAt).digest() !== declared) return undefined
  return {typeByte: bytes[0], valueBytes: bytes.subarray(1, crcAt - 2), rdbVersion: bytes.readUInt16LE(crcAt - 2)}
}
