// A source's snapshot (the RDB its master sends after +FULLRESYNC) loaded into the target cluster
// as it arrives. The RDB reader yields one key at a time with its value's own bytes; the keys of
// the pool's database are packed, RESTORE payload and absolute expiry, into the same pages the
// SCAN copy reads from a source (record-pack.ts), and written by the same writer (copier.ts:
// duplicates settled, one script call per owning master, big keys chunked). Several pages are in
// flight at once; when they are all busy, reading the socket pauses and the master holds the rest.
import {UserError} from '../../errors.js'
import {DUMP_FOOTER_BYTES, RdbParser, writeCrc64, type KeyRecord as RdbKey} from '../../protocol/rdb/index.js'
import type {CopyContext} from '../copy/context.js'
import {copyScannedPage} from '../copy/copier.js'
import {keyId} from '../../key-text.js'
import {keySlot} from '../../hashing/index.js'
import type {ScannedPage} from '../source/reader.js'
import type {Source} from '../source/sources.js'

/** keys per page and bytes per page (whichever comes first) */
const PAGE_KEYS = 2000
const PAGE_BYTES = 4 * 1024 * 1024
/** pages being written at once per source */
const PAGES_IN_FLIGHT = 4
/** bytes received and not yet parsed before the socket is paused */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024
/**
 * How long the link may stay quiet before a record the parser holds back for more bytes is tried
 * with what has arrived (RdbParser.retryNow): doubled on each try, back to this at each record,
 * so a big record arriving slowly is parsed again a few times in all.
 */
const QUIET_RETRY_MS = 20

export interface SnapshotLoad {
  /** keys of the pool's database in the snapshot */
  keys: number
  /** the RDB's size */
  size: number
  /** function libraries the snapshot held (loaded on every target master) */
  functions: Buffer[]
}

export interface SnapshotFeed {
  pause(): void
  resume(): void
}

/** Packs RDB key records into a page as the source scripts would have (record-pack.ts), in one pass, copying each byte once. */
export function packSnapshotPage(records: RdbKey[], rdbVersion: number): ScannedPage {
  let size = 0
  for (const r of records) size += 9 + r.key.length + expiryDigits(r.expireAtMs) + 1 + r.valueBytes.length + DUMP_FOOTER_BYTES
  const blob = Buffer.allocUnsafe(size)
  const starts: number[] = new Array(records.length + 1)
  let at = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    starts[i] = at
    const digits = expiryDigits(r.expireAtMs)
    blob.writeUInt32BE(r.key.length, at)
    blob.writeUInt32BE(1 + r.valueBytes.length + DUMP_FOOTER_BYTES, at + 4)
    blob[at + 8] = digits
    at = copyBytes(r.key, blob, at + 9)
    at = writeDigits(r.expireAtMs ?? 0, digits, blob, at)
    // the RESTORE payload, as DUMP writes it: type, value, RDB version, CRC-64
    const payloadStart = at
    blob[at++] = r.typeByte
    at = copyBytes(r.valueBytes, blob, at)
    blob[at++] = rdbVersion & 0xff
    blob[at++] = (rdbVersion >> 8) & 0xff
    writeCrc64(blob, payloadStart, at, blob, at)
    at += 8
  }
  starts[records.length] = at
  return {blob, starts, count: records.length, cursor: '0'}
}

function expiryDigits(expireAtMs: number | undefined): number {
  if (expireAtMs === undefined || expireAtMs <= 0) return 1
  let digits = 1
  for (let n = expireAtMs; n >= 10; n = Math.floor(n / 10)) digits++
  return digits
}

/** `value` in decimal, `digits` long, at out[at]; returns the end. */
function writeDigits(value: number, digits: number, out: Buffer, at: number): number {
  let n = value > 0 ? value : 0
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = 48 + (n % 10)
    n = Math.floor(n / 10)
  }
  return at + digits
}

/** Copies `from` to out[at]; small ones byte by byte (cheaper than a native call). Returns the end. */
function copyBytes(from: Uint8Array, out: Buffer, at: number): number {
  const length = from.length
  if (length > 64) out.set(from, at)
  else for (let i = 0; i < length; i++) out[at + i] = from[i]
  return at + length
}

export class SnapshotLoader {
  private readonly parser = new RdbParser()
  /** what arrived after the RDB: the end record's trailing bytes, then chunks received since */
  private after: Buffer[] = []
  private received = 0
  private parsedUpTo = 0
  private paused = false
  /** bytes (or a failure) arrived since the last parse attempt */
  private arrived = false
  private wake: (() => void) | undefined
  private failure: Error | undefined
  /** the snapshot's keys (key ids), when asked for: keys the target holds beyond them are stale */
  readonly keys: Set<string> | undefined

  constructor(private readonly ctx: CopyContext, private readonly source: Source, private readonly feed: SnapshotFeed,
    private readonly options: {replace: boolean; collectKeys: boolean; stopRequested: () => boolean; replaceInSlot?: (slot: number) => boolean}) {
    if (options.collectKeys) this.keys = new Set()
  }

  /** Bytes from the link (after the `$` header); after the RDB's end they are the stream's. */
  append(chunk: Buffer): void {
    if (this.parser.finished) {
      this.after.push(chunk)
      return
    }
    this.parser.append(chunk)
    this.received += chunk.length
    if (!this.paused && this.received - this.parsedUpTo > MAX_BUFFERED_BYTES) {
      this.paused = true
      this.feed.pause()
    }
    this.poke()
  }

  /**
   * Everything received after the RDB so far (the stream's first bytes, after the EOF mark in a
   * diskless transfer); the caller switches the link to the stream in the same turn.
   */
  takeTrailing(): Buffer {
    const bytes = Buffer.concat(this.after)
    this.after = []
    return bytes
  }

  /** The link failed: the load stops with this error. */
  fail(error: Error): void {
    this.failure = error
    this.poke()
  }

  private poke(): void {
    this.arrived = true
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** Waits for bytes (or a failure) to arrive; true when `ms` passed without any. */
  private quietFor(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined
        resolve(true)
      }, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve(false)
      }
    })
  }

  /** Loads every key; resolves at the RDB's end record. Returns undefined when stopped (Ctrl-C). */
  async load(): Promise<SnapshotLoad | undefined> {
    const inFlight: Array<Promise<void>> = []
    let page: RdbKey[] = []
    let pageBytes = 0
    let keys = 0
    const functions: Buffer[] = []
    const flush = async () => {
      if (page.length === 0) return
      const records = page
      page = []
      pageBytes = 0
      const work = this.writePage(records)
      work.catch(() => {})
      inFlight.push(work)
      while (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift()
    }
    let quietMs = QUIET_RETRY_MS
    try {
      for (let step = 0; step < Number.MAX_SAFE_INTEGER; step++) {
        if (this.options.stopRequested()) return undefined
        const record = this.nextRecord()
        if (record === null) {
          if (this.failure) throw this.failure
          await flush()
          if (!this.arrived && (await this.quietFor(quietMs)) && this.parser.retryNow()) quietMs *= 2
          continue
        }
        quietMs = QUIET_RETRY_MS
        if (record.kind === 'key') {
          if (record.db !== this.source.db) continue
          this.keys?.add(keyId(record.key))
          if (this.options.replace && this.ctx.write.skipped?.has(keyId(record.key))) continue
          keys++
          page.push(record)
          pageBytes += record.valueBytes.length + record.key.length
          if (page.length >= PAGE_KEYS || pageBytes >= PAGE_BYTES) await flush()
        } else if (record.kind === 'function') functions.push(record.code)
        else if (record.kind === 'end') {
          this.after.unshift(record.trailing)
          await flush()
          await Promise.all(inFlight)
          return {keys, size: record.size, functions}
        }
      }
      return undefined
    } finally {
      await Promise.allSettled(inFlight)
    }
  }

  private nextRecord() {
    let record
    this.arrived = false
    try {
      record = this.parser.next()
    } catch (error) {
      if (error instanceof UserError) throw new UserError(`The snapshot of ${this.source.name}: ${error.message}`, {cause: error})
      throw error
    }
    if (record?.kind === 'key') this.parsedUpTo = record.offset
    if (this.paused && this.received - this.parsedUpTo < MAX_BUFFERED_BYTES / 2) {
      this.paused = false
      this.feed.resume()
    }
    return record
  }

  /**
   * A page of keys; those of slots `replaceInSlot` names (a cluster source's slots moving between
   * masters: another master's snapshot or stream may have written the key already) replace what
   * the target holds, whatever the conflict policy.
   */
  private async writePage(records: RdbKey[]): Promise<void> {
    const replacing = this.options.replace ? records : records.filter((r) => this.options.replaceInSlot?.(keySlot(r.key)))
    const replaced = new Set(replacing)
    const rest = replacing === records ? [] : records.filter((r) => !replaced.has(r))
    const replace = {...this.ctx, write: {...this.ctx.write, onConflict: 'replace' as const}}
    if (replacing.length > 0) await copyScannedPage(replace, this.source, packSnapshotPage(replacing, this.parser.version))
    if (rest.length > 0) await copyScannedPage(this.ctx, this.source, packSnapshotPage(rest, this.parser.version))
  }
}
