// Reading RDB primitives in place from a Buffer: bytes, little-endian integers, the length encoding
// (6, 14, 32 or 64 bits, or a string encoding marker) and strings (raw, integer-encoded, LZF).
// One cursor serves two cases: the opcode loop on bytes still arriving (running short means
// "wait for more", NEED_MORE) and decoders of a complete value (running short means corruption).
import {STRING_ENC} from './constants.js'
import {CorruptValue, NEED_MORE, RdbError} from './errors.js'
import {lzfDecompress} from './lzf.js'

const TWO_POW_32 = 2 ** 32

export class Cursor {
  buf: Buffer = Buffer.alloc(0)
  pos = 0
  limit = 0
  /** absolute stream offset of buf[0], for messages */
  base = 0
  /** true while bytes may still arrive: running short is not an error then */
  streaming = false
  /** when a read ran short: the buffer position the read needed to reach */
  wantPos = 0
  /** what is being read, for messages ("the value of key ...") */
  context = 'data'
  /** set by length(): the length byte announced a string encoding, not a length */
  encoded = false

  reset(buf: Buffer, pos: number, limit: number, base: number, streaming: boolean): this {
    this.buf = buf
    this.pos = pos
    this.limit = limit
    this.base = base
    this.streaming = streaming
    return this
  }

  get offset(): number {
    return this.base + this.pos
  }

  /** Ensures n more bytes are readable at pos. */
  need(n: number): void {
    if (this.pos + n > this.limit) this.short(n)
  }

  short(n: number): never {
    if (this.streaming) {
      this.wantPos = this.pos + n
      throw NEED_MORE
    }
    throw new RdbError(this.offset, `${n} more byte${n === 1 ? '' : 's'} of ${this.context}`, 'data ends early')
  }

  fail(expected: string, detail = 'data is corrupt'): never {
    throw new RdbError(this.offset, expected, detail)
  }

  byte(): number {
    if (this.pos >= this.limit) this.short(1)
    return this.buf[this.pos++]
  }

  skip(n: number): void {
    if (this.pos + n > this.limit) this.short(n)
    this.pos += n
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.limit) this.short(n)
    const view = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return view
  }

  int32le(): number {
    this.need(4)
    const value = this.buf.readInt32LE(this.pos)
    this.pos += 4
    return value
  }

  /** An unsigned 64-bit little-endian integer as a number (exact below 2^53: times in ms). */
  uint64le(): number {
    this.need(8)
    const value = this.buf.readUInt32LE(this.pos) + this.buf.readUInt32LE(this.pos + 4) * TWO_POW_32
    this.pos += 8
    return value
  }

  int64le(): bigint {
    this.need(8)
    const value = this.buf.readBigInt64LE(this.pos)
    this.pos += 8
    return value
  }

  doublele(): number {
    this.need(8)
    const value = this.buf.readDoubleLE(this.pos)
    this.pos += 8
    return value
  }

  /** An RDB length. When the byte announces a string encoding, `encoded` is set and the encoding returned. */
  length(): number {
    if (this.pos >= this.limit) this.short(1)
    const first = this.buf[this.pos]
    const kind = first >>> 6
    this.encoded = false
    if (kind === 0) {
      this.pos++
      return first & 0x3f
    }
    if (kind === 1) {
      this.need(2)
      const value = ((first & 0x3f) << 8) | this.buf[this.pos + 1]
      this.pos += 2
      return value
    }
    if (kind === 3) {
      this.pos++
      this.encoded = true
      return first & 0x3f
    }
    if (first === 0x80) {
      this.need(5)
      const value = this.buf.readUInt32BE(this.pos + 1)
      this.pos += 5
      return value
    }
    if (first === 0x81) {
      this.need(9)
      const value = this.buf.readUInt32BE(this.pos + 1) * TWO_POW_32 + this.buf.readUInt32BE(this.pos + 5)
      if (value > Number.MAX_SAFE_INTEGER) this.fail('a 64-bit length below 2^53', 'length is out of range')
      this.pos += 9
      return value
    }
    return this.fail('a length (first byte 0x00-0xbf, 0x80, 0x81 or 0xc0-0xc3)', `byte 0x${first.toString(16)} is not a length`)
  }

  /** Skips a length of any size (stream IDs use the full 64 bits). */
  skipLength(): void {
    if (this.pos >= this.limit) this.short(1)
    const first = this.buf[this.pos]
    if (first === 0x81) this.skip(9)
    else this.count()
  }

  /** A length that must not announce a string encoding (counts, db numbers). */
  count(): number {
    const value = this.length()
    if (this.encoded) {
      this.pos--
      this.fail('a count', 'a string encoding marker stands where a count belongs')
    }
    return value
  }

  /** A length as an exact unsigned 64-bit integer (stream IDs use the full range). */
  bigLength(): bigint {
    if (this.pos >= this.limit) this.short(1)
    const first = this.buf[this.pos]
    if (first === 0x81) {
      this.need(9)
      const value = this.buf.readBigUInt64BE(this.pos + 1)
      this.pos += 9
      return value
    }
    return BigInt(this.count())
  }

  /** Skips one RDB string, whatever its encoding. */
  skipString(): void {
    const len = this.length()
    if (!this.encoded) {
      this.skip(len)
      return
    }
    switch (len) {
      case STRING_ENC.INT8: this.skip(1); return
      case STRING_ENC.INT16: this.skip(2); return
      case STRING_ENC.INT32: this.skip(4); return
      case STRING_ENC.LZF: {
        const compressed = this.length()
        if (this.encoded) this.fail('the compressed length of an LZF string')
        this.length()
        if (this.encoded) this.fail('the decompressed length of an LZF string')
        this.skip(compressed)
        return
      }
      default:
        this.pos--
        this.fail('a string encoding (0xc0-0xc3)', `string encoding ${len} is unknown`)
    }
  }

  /** One RDB string as bytes: a view for raw strings, a new Buffer for integer and LZF encodings. */
  string(): Buffer {
    const len = this.length()
    if (!this.encoded) return this.bytes(len)
    switch (len) {
      case STRING_ENC.INT8: {
        this.need(1)
        return Buffer.from(String(this.buf.readInt8(this.pos++)))
      }
      case STRING_ENC.INT16: {
        this.need(2)
        const value = this.buf.readInt16LE(this.pos)
        this.pos += 2
        return Buffer.from(String(value))
      }
      case STRING_ENC.INT32: return Buffer.from(String(this.int32le()))
      case STRING_ENC.LZF: return this.lzfString()
      default:
        this.pos--
        return this.fail('a string encoding (0xc0-0xc3)', `string encoding ${len} is unknown`)
    }
  }

  private lzfString(): Buffer {
    const compressed = this.length()
    if (this.encoded) this.fail('the compressed length of an LZF string')
    const plain = this.length()
    if (this.encoded) this.fail('the decompressed length of an LZF string')
    const start = this.pos
    this.skip(compressed)
    // a declared size is trusted only as far as LZF can expand what arrived (at most ~ 8x + 2 per byte pair)
    if (plain > compressed * 264 + 32) {
      this.pos = start
      this.fail(`an LZF string of at most ${compressed * 264} bytes from ${compressed} compressed bytes`)
    }
    try {
      return lzfDecompress(this.buf, start, start + compressed, plain)
    } catch (error) {
      if (!(error instanceof CorruptValue)) throw error
      throw new RdbError(this.base + start + error.relativeOffset, error.expected, 'LZF data is corrupt')
    }
  }

  /** An 8-byte-or-less text double as ZSET (version 1) stores it: length byte, then text. */
  textDouble(): number {
    const len = this.byte()
    if (len === 253) return Number.NaN
    if (len === 254) return Number.POSITIVE_INFINITY
    if (len === 255) return Number.NEGATIVE_INFINITY
    const text = this.bytes(len).toString('latin1')
    const value = Number(text)
    if (Number.isNaN(value) && !/nan/i.test(text)) this.fail('a decimal score')
    return value
  }
}
