// Scans memcache ASCII requests, accepting what nutcracker accepts: lowercase get/gets (any
// number of keys, as many as the line holds), set/add/replace/append/prepend/cas with their data
// block, incr/decr, delete, touch, an optional trailing noreply, quit and version. Anything else
// is an error and the caller closes the client, as nutcracker does. Fed the stream in pieces, it
// goes on where it stopped: a request line split between reads is gathered until its LF, and a
// data block is skipped by its length.
import {INCOMPLETE, INVALID} from './redis-request.js'

export {INCOMPLETE, INVALID}

export const enum McCommand {
  Get = 1,
  Gets = 2,
  Set = 3,
  Add = 4,
  Replace = 5,
  Append = 6,
  Prepend = 7,
  Cas = 8,
  Incr = 9,
  Decr = 10,
  Delete = 11,
  Touch = 12,
  Quit = 13,
  Version = 14,
}

const NAMES: Array<[string, McCommand]> = [
  ['get', McCommand.Get], ['gets', McCommand.Gets], ['set', McCommand.Set], ['add', McCommand.Add],
  ['replace', McCommand.Replace], ['append', McCommand.Append], ['prepend', McCommand.Prepend], ['cas', McCommand.Cas],
  ['incr', McCommand.Incr], ['decr', McCommand.Decr], ['delete', McCommand.Delete], ['touch', McCommand.Touch],
  ['quit', McCommand.Quit], ['version', McCommand.Version],
]

/** memcached's key limit; nutcracker closes the client on a longer (or empty) key */
export const MAX_MEMCACHE_KEY = 250
const CR = 13
const LF = 10
const SPACE = 32
const NO_RANGES = new Int32Array(0)
/** a line buffer larger than this is let go once its line is read */
const KEPT_LINE_BUFFER = 16 * 1024
/** lineDone(): the line is the whole request */
const LINE_ONLY = 0
/** lineDone(): a data block follows */
const DATA_FOLLOWS = 1

const enum Phase {
  /** the request line, up to its LF */
  Line,
  /** the bytes of a data block still to skip */
  Data,
  /** the CR after a data block */
  DataCr,
  /** the LF after a data block */
  DataLf,
}

export class MemcacheRequestScanner {
  command: McCommand = McCommand.Get
  noreply = false
  /** key ranges, counted from the request's first byte: [keys[2i], keys[2i+1]) */
  keys: Int32Array = NO_RANGES
  keyCount = 0
  reason = ''
  /** bytes scan() has looked at (or skipped, for data blocks) since the scanner was made */
  examined = 0
  /** token ranges of the line being read; grows with the tokens (the line length bounds them) */
  private tokens: Int32Array = NO_RANGES
  private phase = Phase.Line
  /** a request line that spans pieces, gathered until its LF */
  private line: Uint8Array | null = null
  private lineLength = 0
  private dataLeft = 0

  constructor(public maxLineBytes = 1024 * 1024, public maxRequestBytes = 512 * 1024 * 1024) {}

  /** Forgets a request in progress. */
  reset(): void {
    this.phase = Phase.Line
    this.lineLength = 0
    if (this.line !== null && this.line.length > KEPT_LINE_BUFFER) this.line = null
  }

  /**
   * Forgets a request in progress and gives back the key and token tables and the line buffer
   * (an idle client keeps none): the next request makes them again.
   */
  release(): void {
    this.reset()
    this.keys = NO_RANGES
    this.tokens = NO_RANGES
    this.line = null
  }

  /**
   * Scans on: buf[start, end) are the next bytes of the stream. Returns the offset in buf where
   * the request in progress ends, INCOMPLETE when it goes on past `end`, or INVALID.
   */
  scan(buf: Uint8Array, start: number, end: number): number {
    const stop = this.walk(buf, start, end)
    this.examined += (stop >= 0 ? stop : end) - start
    if (stop !== INCOMPLETE) this.reset()
    return stop
  }

  private walk(buf: Uint8Array, start: number, end: number): number {
    let pos = start
    while (pos < end) {
      switch (this.phase) {
        case Phase.Line: {
          const lineStart = pos
          const limit = Math.min(end, pos + this.maxLineBytes - this.lineLength)
          while (pos < limit && buf[pos] !== LF) pos++
          if (pos === limit) {
            if (this.lineLength + (pos - lineStart) >= this.maxLineBytes) return this.invalid('request line too long')
            this.keepLine(buf, lineStart, pos)
            break
          }
          const lf = pos++
          const result = this.lineLength === 0 ? this.lineDone(buf, lineStart, lf) : this.joinedLineDone(buf, lineStart, lf)
          if (result === INVALID) return INVALID
          if (result === LINE_ONLY) return pos
          break
        }
        case Phase.Data: {
          const take = Math.min(this.dataLeft, end - pos)
          pos += take
          this.dataLeft -= take
          if (this.dataLeft === 0) this.phase = Phase.DataCr
          break
        }
        case Phase.DataCr:
          if (buf[pos++] !== CR) return this.invalid('data block not terminated by CRLF')
          this.phase = Phase.DataLf
          break
        case Phase.DataLf:
          if (buf[pos++] !== LF) return this.invalid('data block not terminated by CRLF')
          return pos
      }
    }
    return INCOMPLETE
  }

  /** A request line goes on past this piece: gather it (a line buffer grows with the bytes). */
  private keepLine(buf: Uint8Array, start: number, end: number): void {
    const needed = this.lineLength + end - start
    if (this.line === null || needed > this.line.length) {
      const grown = new Uint8Array(Math.max(256, needed, 2 * (this.line?.length ?? 0)))
      if (this.line !== null) grown.set(this.line.subarray(0, this.lineLength))
      this.line = grown
    }
    this.line.set(buf.subarray(start, end), this.lineLength)
    this.lineLength = needed
  }

  private joinedLineDone(buf: Uint8Array, start: number, lf: number): number {
    this.keepLine(buf, start, lf)
    const length = this.lineLength
    this.lineLength = 0
    return this.lineDone(this.line!, 0, length)
  }

  /**
   * The request line is line[start, lf) (lf: where its LF is). Reads the command, keys and
   * numbers; returns LINE_ONLY, DATA_FOLLOWS or INVALID.
   */
  private lineDone(line: Uint8Array, start: number, lf: number): number {
    this.keyCount = 0
    this.noreply = false
    if (lf === start || line[lf - 1] !== CR) return this.invalid('line not terminated by CRLF')
    const n = this.tokenize(line, start, lf - 1)
    if (n === 0) return this.invalid('empty request')
    const tokens = this.tokens
    const command = commandOf(line, tokens[0], tokens[1])
    if (command === 0) return this.invalid('unsupported command')
    this.command = command
    switch (command) {
      case McCommand.Get:
      case McCommand.Gets:
        if (n < 2) return this.invalid('get without a key')
        for (let t = 1; t < n; t++) if (!this.addKey(tokens[2 * t] - start, tokens[2 * t + 1] - start)) return INVALID
        return LINE_ONLY
      case McCommand.Quit:
      case McCommand.Version:
        return n === 1 ? LINE_ONLY : this.invalid('unexpected arguments')
      case McCommand.Incr:
      case McCommand.Decr:
      case McCommand.Touch:
        if (!this.fixed(line, n, 3)) return INVALID
        if (!isDigits(line, tokens[4], tokens[5])) return this.invalid('number expected')
        return this.addKey(tokens[2] - start, tokens[3] - start) ? LINE_ONLY : INVALID
      case McCommand.Delete:
        if (!this.fixed(line, n, 2)) return INVALID
        return this.addKey(tokens[2] - start, tokens[3] - start) ? LINE_ONLY : INVALID
      default: {
        // storage: key flags exptime bytes [cas] [noreply]
        const args = command === McCommand.Cas ? 6 : 5
        if (!this.fixed(line, n, args)) return INVALID
        if (!this.addKey(tokens[2] - start, tokens[3] - start)) return INVALID
        for (let t = 2; t < args; t++) if (!isDigits(line, tokens[2 * t], tokens[2 * t + 1])) return this.invalid('number expected')
        const bytes = digitsValue(line, tokens[8], tokens[9])
        const lineBytes = lf + 1 - start
        if (lineBytes + bytes + 2 > this.maxRequestBytes) return this.invalid('request too large')
        this.dataLeft = bytes
        this.phase = bytes > 0 ? Phase.Data : Phase.DataCr
        return DATA_FOLLOWS
      }
    }
  }

  /** Splits line[start, lineEnd) on spaces (leading spaces allowed); returns the token count. */
  private tokenize(line: Uint8Array, start: number, lineEnd: number): number {
    let n = 0
    let i = start
    while (i < lineEnd) {
      while (i < lineEnd && line[i] === SPACE) i++
      if (i >= lineEnd) break
      const tokenStart = i
      while (i < lineEnd && line[i] !== SPACE) i++
      if (2 * n + 2 > this.tokens.length) this.tokens = grown(this.tokens)
      this.tokens[2 * n] = tokenStart
      this.tokens[2 * n + 1] = i
      n++
    }
    return n
  }

  /** exactly `count` tokens, or `count` + a trailing "noreply" */
  private fixed(buf: Uint8Array, n: number, count: number): boolean {
    if (n === count) return true
    if (n === count + 1 && isWord(buf, this.tokens[2 * count], this.tokens[2 * count + 1], 'noreply')) {
      this.noreply = true
      return true
    }
    this.invalid('wrong number of arguments')
    return false
  }

  private addKey(start: number, end: number): boolean {
    const len = end - start
    if (len === 0 || len > MAX_MEMCACHE_KEY) {
      this.invalid('bad key length')
      return false
    }
    if (2 * this.keyCount + 2 > this.keys.length) this.keys = grown(this.keys)
    this.keys[2 * this.keyCount] = start
    this.keys[2 * this.keyCount + 1] = end
    this.keyCount++
    return true
  }

  private invalid(reason: string): number {
    this.reason = reason
    return INVALID
  }
}

/** A range table twice as large (at least 16 ranges), holding what the old one held. */
function grown(ranges: Int32Array): Int32Array {
  const bigger = new Int32Array(Math.max(32, 2 * ranges.length))
  bigger.set(ranges)
  return bigger
}

function commandOf(buf: Uint8Array, start: number, end: number): McCommand | 0 {
  for (const [name, command] of NAMES) if (isWord(buf, start, end, name)) return command
  return 0
}

function isWord(buf: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false
  for (let i = 0; i < word.length; i++) if (buf[start + i] !== word.charCodeAt(i)) return false
  return true
}

function isDigits(buf: Uint8Array, start: number, end: number): boolean {
  if (start >= end || end - start > 20) return false
  for (let i = start; i < end; i++) if (buf[i] < 48 || buf[i] > 57) return false
  return true
}

function digitsValue(buf: Uint8Array, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) n = n * 10 + (buf[i] - 48)
  return n
}
