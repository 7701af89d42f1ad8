// A minimal RDB writer for fixtures the system's server cannot produce: encodings from before
// Redis 7 (ziplist, zipmap, quicklist of ziplists, text scores), the hash field TTL types of Redis
// 7.4+/8 and Valkey 9, module values, 64-bit lengths. Written from the format description, so the
// reader is checked against an independent encoder.
import {crc64} from '../../../src/protocol/rdb/index.js'

export function len(n: number, width?: 6 | 14 | 32 | 64): Buffer {
  const w = width ?? (n < 64 ? 6 : n < 16384 ? 14 : n < 2 ** 32 ? 32 : 64)
  if (w === 6) return Buffer.from([n])
  if (w === 14) return Buffer.from([0x40 | (n >> 8), n & 0xff])
  if (w === 32) {
    const out = Buffer.alloc(5)
    out[0] = 0x80
    out.writeUInt32BE(n, 1)
    return out
  }
  const out = Buffer.alloc(9)
  out[0] = 0x81
  out.writeBigUInt64BE(BigInt(n), 1)
  return out
}

export const str = (s: string | Buffer): Buffer => {
  const bytes = Buffer.isBuffer(s) ? s : Buffer.from(s)
  return Buffer.concat([len(bytes.length), bytes])
}

export function u64le(n: number | bigint): Buffer {
  const out = Buffer.alloc(8)
  out.writeBigInt64LE(BigInt(n))
  return out
}

export function rdbFile(body: Buffer[], header = 'REDIS0012'): Buffer {
  const bytes = Buffer.concat([Buffer.from(header), ...body, Buffer.from([0xff])])
  const sum = Buffer.alloc(8)
  sum.writeBigUInt64LE(crc64(bytes))
  return Buffer.concat([bytes, sum])
}

export const keyValue = (type: number, key: string, value: Buffer): Buffer => Buffer.concat([Buffer.from([type]), str(key), value])

/** A ziplist of strings and small integers. */
export function ziplist(elements: Array<string | number>): Buffer {
  const entries: Buffer[] = []
  let prev = 0
  for (const element of elements) {
    const prevlen = prev < 254 ? Buffer.from([prev]) : Buffer.concat([Buffer.from([0xfe]), u32le(prev)])
    let body: Buffer
    if (typeof element === 'number') {
      if (element >= 0 && element <= 12) body = Buffer.from([0xf1 + element])
      else {
        body = Buffer.alloc(3)
        body[0] = 0xc0
        body.writeInt16LE(element, 1)
      }
    } else {
      const bytes = Buffer.from(element)
      body = Buffer.concat([Buffer.from([bytes.length]), bytes]) // 6-bit length, short strings only
    }
    const entry = Buffer.concat([prevlen, body])
    entries.push(entry)
    prev = entry.length
  }
  const content = Buffer.concat(entries)
  const header = Buffer.alloc(10)
  header.writeUInt32LE(10 + content.length + 1, 0)
  header.writeUInt32LE(10 + content.length - prev, 4)
  header.writeUInt16LE(elements.length, 8)
  return Buffer.concat([header, content, Buffer.from([0xff])])
}

/** A listpack of strings (short) and integers (7-bit and 64-bit). */
export function listpack(elements: Array<string | number | bigint>): Buffer {
  const entries = elements.map((element) => {
    let body: Buffer
    if (typeof element === 'number' && element >= 0 && element < 128) body = Buffer.from([element])
    else if (typeof element !== 'string') {
      body = Buffer.alloc(9)
      body[0] = 0xf4
      body.writeBigInt64LE(BigInt(element), 1)
    } else body = Buffer.concat([Buffer.from([0x80 | Buffer.byteLength(element)]), Buffer.from(element)])
    return Buffer.concat([body, Buffer.from([body.length])])
  })
  const content = Buffer.concat(entries)
  const header = Buffer.alloc(6)
  header.writeUInt32LE(6 + content.length + 1, 0)
  header.writeUInt16LE(elements.length, 4)
  return Buffer.concat([header, content, Buffer.from([0xff])])
}

export function zipmap(pairs: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [Buffer.from([pairs.length])]
  // field length, field, value length, free bytes count (2), value, the free bytes
  for (const [field, value] of pairs) parts.push(Buffer.from([field.length]), Buffer.from(field), Buffer.from([value.length, 2]), Buffer.from(value), Buffer.alloc(2))
  parts.push(Buffer.from([0xff]))
  return Buffer.concat(parts)
}

function u32le(n: number): Buffer {
  const out = Buffer.alloc(4)
  out.writeUInt32LE(n)
  return out
}

/** The 64-bit id of a module type: 9 characters of 6 bits each above a 10-bit encoding version. */
export function moduleId(name: string, version: number): bigint {
  const charset = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  let id = 0n
  for (const ch of name) id = (id << 6n) | BigInt(charset.indexOf(ch))
  return (id << 10n) | BigInt(version)
}
