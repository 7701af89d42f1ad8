// The RDB opcode loop, push-fed: append() the bytes as they come, next() the records as far as the
// bytes go (null: feed more), finish() when the input ends. Each step parses one opcode or one key
// in place; a step that runs out of bytes is retried from its start once more have arrived, and at
// least twice as many, so a value spanning many chunks is scanned a bounded number of times. At
// most one value is buffered (whole: its bytes become a RESTORE payload), never more than
// maxValueBytes, and nothing is allocated from a declared length before the bytes arrive.
import {MAX_REDIS_RDB_VERSION, RDB_OPCODE as OP, type RdbFlavor, VALKEY_RDB_VERSION, kindOfType} from './constants.js'
import {Crc64} from './crc64.js'
import {Cursor} from './cursor.js'
import {keyText} from '../../key-text.js'
import {NEED_MORE, RdbError} from './errors.js'
import {InputBuffer} from './input-buffer.js'
import type {RdbRecord} from './records.js'
import {skipValue} from './skip-value.js'

export interface RdbParserOptions {
  /** the largest single record (one key and its value) accepted; default 1 GiB */
  maxValueBytes?: number
  /** check the CRC-64 at the end (default true) */
  verifyChecksum?: boolean
}

const HEADER_BYTES = 9
const CHECKSUM_BYTES = 8
const FIRST_CHECKSUM_VERSION = 5
const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024 * 1024

export class RdbParser {
  version = 0
  flavor: RdbFlavor = 'redis'
  private readonly input = new InputBuffer()
  private readonly cursor = new Cursor()
  private readonly crc = new Crc64()
  private readonly maxValueBytes: number
  private readonly verifyChecksum: boolean
  private ended = false
  private done = false
  private db = 0
  private expireAtMs: number | undefined = undefined
  /** absolute offset the buffered bytes must reach before the pending step is tried again */
  private waitUntil = 0
  /** absolute offset the pending step's own read needs the bytes to reach */
  private wantAt = 0

  constructor(options: RdbParserOptions = {}) {
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES
    this.verifyChecksum = options.verifyChecksum ?? true
  }

  append(chunk: Uint8Array): void {
    if (this.done) throw new Error('RdbParser: append() after the end of the RDB')
    this.input.append(chunk)
  }

  finish(): void {
    this.ended = true
  }

  get finished(): boolean {
    return this.done
  }

  /** The next record, or null when more bytes are needed (or after the end record). */
  next(): RdbRecord | null {
    const input = this.input
    const cursor = this.cursor
    while (!this.done) {
      if (!this.ended && input.base + input.end < this.waitUntil) return null
      cursor.reset(input.buf, input.start, input.end, input.base, !this.ended)
      let record: RdbRecord | undefined
      try {
        record = this.version === 0 ? this.header(cursor) : this.step(cursor)
      } catch (error) {
        if (error !== NEED_MORE) throw error
        this.waitForMore(cursor.wantPos)
        return null
      }
      if (this.version >= FIRST_CHECKSUM_VERSION && !this.done) this.crc.update(input.buf, input.start, cursor.pos)
      input.consume(cursor.pos)
      this.waitUntil = 0
      if (record !== undefined) return record
    }
    return null
  }

  /**
   * Holds the pending step back until twice the record's bytes so far have arrived (or what its
   * read needs, if more): a big record is parsed again from its start a few times in all, not on
   * every chunk.
   */
  private waitForMore(wantPos: number): void {
    const input = this.input
    const recordBytes = wantPos - input.start
    if (recordBytes > this.maxValueBytes) {
      throw new RdbError(input.offset, `a record of at most ${this.maxValueBytes} bytes`, `a record needs ${recordBytes} bytes`)
    }
    this.wantAt = input.base + wantPos
    this.waitUntil = input.base + Math.max(wantPos, input.start + 2 * input.pending)
  }

  /**
   * The caller's word that no more bytes are on their way for now (a stream gone quiet): a step
   * held back for twice its bytes is tried with what has arrived, when its own read has them all.
   * Without it, a record near the end of a snapshot followed by a quiet stream would wait for
   * bytes that never come. Returns whether a try was armed (next() then parses again).
   */
  retryNow(): boolean {
    if (this.waitUntil === 0 || this.input.base + this.input.end < this.wantAt) return false
    this.waitUntil = 0
    return true
  }

  private header(cursor: Cursor): RdbRecord {
    cursor.context = 'the RDB header'
    const magic = cursor.bytes(HEADER_BYTES).toString('latin1')
    const redis = /^REDIS(\d{4})$/.exec(magic)
    const valkey = /^VALKEY(\d{3})$/.exec(magic)
    const version = Number((redis ?? valkey)?.[1] ?? Number.NaN)
    if (redis && version >= 1 && version <= MAX_REDIS_RDB_VERSION) {
      this.flavor = 'redis'
    } else if (valkey && version === VALKEY_RDB_VERSION) {
      this.flavor = 'valkey'
    } else {
      throw new RdbError(0, `"REDIS" and a version from 0001 to 00${MAX_REDIS_RDB_VERSION}, or "VALKEY080"`,
        `header ${JSON.stringify(magic)} is not a known format`)
    }
    this.version = version
    return {kind: 'header', version, flavor: this.flavor}
  }

  /** One opcode, or one key with its value. Returns undefined for opcodes that only set state. */
  private step(cursor: Cursor): RdbRecord | undefined {
    cursor.context = 'an opcode or value type'
    const recordStart = cursor.pos
    const type = cursor.byte()
    if (type < OP.SLOT_IMPORT) return this.keyRecord(cursor, type, recordStart)
    switch (type) {
      case OP.EXPIRETIME_MS:
        cursor.context = 'an expiry time in ms'
        this.expireAtMs = cursor.uint64le()
        return undefined
      case OP.EXPIRETIME:
        cursor.context = 'an expiry time in seconds'
        this.expireAtMs = cursor.int32le() * 1000
        return undefined
      case OP.IDLE:
        cursor.context = 'an LRU idle time'
        cursor.skipLength()
        return undefined
      case OP.FREQ:
        cursor.context = 'an LFU frequency'
        cursor.skip(1)
        return undefined
      case OP.SELECTDB:
        cursor.context = 'a database number'
        this.db = cursor.count()
        return {kind: 'select-db', db: this.db}
      case OP.RESIZEDB: {
        cursor.context = 'database size hints'
        const keys = cursor.count()
        return {kind: 'resize-db', db: this.db, keys, expires: cursor.count()}
      }
      case OP.SLOT_INFO: {
        cursor.context = 'slot size hints'
        const slot = cursor.count()
        const keys = cursor.count()
        return {kind: 'slot-info', db: this.db, slot, keys, expires: cursor.count()}
      }
      case OP.SLOT_IMPORT: return this.slotImport(cursor)
      case OP.AUX: {
        cursor.context = 'an AUX field'
        const name = cursor.string().toString('latin1')
        return {kind: 'aux', name, value: cursor.string()}
      }
      case OP.FUNCTION2:
        cursor.context = 'a function library'
        return {kind: 'function', code: cursor.string()}
      case OP.FUNCTION_PRE_GA:
        cursor.pos--
        return cursor.fail('FUNCTION2 (0xf5) function data', 'a pre-release (7.0 rc) function library cannot be read')
      case OP.MODULE_AUX: {
        cursor.context = 'a module id'
        const name = moduleName(cursor.bigLength())
        throw new RdbError(cursor.base + recordStart, 'data that can be read without a module',
          `module auxiliary data of module type '${name}' cannot be read without that module`)
      }
      case OP.EOF:
        return this.end(cursor)
      default:
        cursor.pos--
        return cursor.fail('a value type (0-25) or an opcode (243-255)', `byte ${type} is neither a value type nor an opcode`)
    }
  }

  private keyRecord(cursor: Cursor, typeByte: number, recordStart: number): RdbRecord {
    const type = kindOfType(typeByte)
    if (type === undefined || type === 'module') return this.refuseType(cursor, typeByte, recordStart, type)
    cursor.context = 'a key'
    const key = cursor.string()
    const valueStart = cursor.pos
    cursor.context = `the ${type} value of a key`
    if (!skipValue(cursor, typeByte, this.flavor)) return this.refuseType(cursor, typeByte, recordStart, undefined)
    const expireAtMs = this.expireAtMs
    this.expireAtMs = undefined
    return {
      kind: 'key', db: this.db, key, typeByte, type, expireAtMs,
      valueBytes: cursor.buf.subarray(valueStart, cursor.pos), offset: cursor.base + recordStart,
    }
  }

  private refuseType(cursor: Cursor, typeByte: number, recordStart: number, type: string | undefined): never {
    if (type !== 'module') {
      throw new RdbError(cursor.base + recordStart, 'a value type this reader knows (0-25)',
        `value type ${typeByte} is unknown (written by a newer server?)`)
    }
    cursor.context = 'a key'
    const key = cursor.string()
    cursor.context = 'a module id'
    const name = typeByte === 7 ? moduleName(cursor.bigLength()) : 'unknown (pre-GA module format)'
    throw new RdbError(cursor.base + recordStart, 'a value that can be read without a module',
      `key ${keyText(key)} in db ${this.db} holds a value of module type '${name}', which cannot be copied without that module`)
  }

  private slotImport(cursor: Cursor): RdbRecord {
    cursor.context = 'a slot import job'
    const job = cursor.string()
    const ranges: Array<[number, number]> = []
    for (let n = cursor.count(); n > 0; n--) ranges.push([cursor.count(), cursor.count()])
    return {kind: 'slot-import', job, ranges}
  }

  private end(cursor: Cursor): RdbRecord {
    cursor.context = 'the checksum'
    const hasChecksum = this.version >= FIRST_CHECKSUM_VERSION
    if (hasChecksum) cursor.need(CHECKSUM_BYTES)
    const input = this.input
    let checksum: bigint | undefined
    if (hasChecksum) {
      this.crc.update(input.buf, input.start, cursor.pos)
      const declared = cursor.bytes(CHECKSUM_BYTES)
      const value = declared.readBigUInt64LE(0)
      checksum = value === 0n ? undefined : value
      const computed = this.crc.digest()
      if (this.verifyChecksum && checksum !== undefined && computed !== checksum) {
        throw new RdbError(cursor.offset - CHECKSUM_BYTES, `checksum 0x${computed.toString(16)} (CRC-64 of the bytes before it)`,
          `checksum 0x${value.toString(16)} does not match`)
      }
    }
    this.done = true
    const trailing = Buffer.from(input.buf.subarray(cursor.pos, input.end))
    return {kind: 'end', checksum, trailing, size: cursor.offset}
  }
}

const MODULE_NAME_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** A module type's 9-character name from its 64-bit id (6 bits a character above a 10-bit version). */
export function moduleName(moduleId: bigint): string {
  let id = moduleId >> 10n
  let name = ''
  for (let i = 0; i < 9; i++) {
    name = MODULE_NAME_CHARSET[Number(id & 63n)] + name
    id >>= 6n
  }
  return name
}
