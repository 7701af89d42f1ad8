// Scans memcache ASCII requests in place, accepting what nutcracker accepts: lowercase
// get/gets (several keys), set/add/replace/append/prepend/cas with their data block, incr/decr,
// delete, touch, an optional trailing noreply, quit and version. Anything else is an error and
// the caller closes the client, as nutcracker does.
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
const MAX_TOKENS = 4096
const CR = 13
const LF = 10
const SPACE = 32

export class MemcacheRequestScanner {
  command: McCommand = McCommand.Get
  noreply = false
  /** key ranges: [keys[2i], keys[2i+1]) */
  keys = new Int32Array(64)
  keyCount = 0
  need = 0
  reason = ''
  private tokens = new Int32Array(2 * MAX_TOKENS)

  constructor(public maxLineBytes = 1024 * 1024, public maxRequestBytes = 512 * 1024 * 1024) {}

  scan(buf: Uint8Array, start: number, end: number): number {
    this.keyCount = 0
    this.noreply = false
    let lf = -1
    const limit = Math.min(end, start + this.maxLineBytes)
    for (let i = start; i < limit; i++) {
      if (buf[i] === LF) {
        lf = i
        break
      }
    }
    if (lf < 0) {
      if (limit < end || end - start >= this.maxLineBytes) return this.invalid('request line too long')
      this.need = end - start + 1
      return INCOMPLETE
    }
    if (lf === start || buf[lf - 1] !== CR) return this.invalid('line not terminated by CRLF')
    const lineEnd = lf - 1
    // split on spaces; leading spaces are allowed
    const tokens = this.tokens
    let n = 0
    let i = start
    while (i < lineEnd) {
      while (i < lineEnd && buf[i] === SPACE) i++
      if (i >= lineEnd) break
      const tokenStart = i
      while (i < lineEnd && buf[i] !== SPACE) i++
      if (n >= MAX_TOKENS) return this.invalid('too many keys')
      tokens[2 * n] = tokenStart
      tokens[2 * n + 1] = i
      n++
    }
    if (n === 0) return this.invalid('empty request')
    const command = commandOf(buf, tokens[0], tokens[1])
    if (command === 0) return this.invalid('unsupported command')
    this.command = command
    const next = lf + 1
    switch (command) {
      case McCommand.Get:
      case McCommand.Gets:
        if (n < 2) return this.invalid('get without a key')
        for (let t = 1; t < n; t++) if (!this.addKey(tokens[2 * t], tokens[2 * t + 1])) return INVALID
        return next
      case McCommand.Quit:
      case McCommand.Version:
        return n === 1 ? next : this.invalid('unexpected arguments')
      case McCommand.Incr:
      case McCommand.Decr:
      case McCommand.Touch:
        if (!this.fixed(buf, n, 3)) return INVALID
        if (!isDigits(buf, tokens[4], tokens[5])) return this.invalid('number expected')
        return this.addKey(tokens[2], tokens[3]) ? next : INVALID
      case McCommand.Delete:
        if (!this.fixed(buf, n, 2)) return INVALID
        return this.addKey(tokens[2], tokens[3]) ? next : INVALID
      default: {
        // storage: key flags exptime bytes [cas] [noreply]
        const args = command === McCommand.Cas ? 6 : 5
        if (!this.fixed(buf, n, args)) return INVALID
        if (!this.addKey(tokens[2], tokens[3])) return INVALID
        for (let t = 2; t < args; t++) if (!isDigits(buf, tokens[2 * t], tokens[2 * t + 1])) return this.invalid('number expected')
        const bytes = digitsValue(buf, tokens[8], tokens[9])
        const dataEnd = next + bytes
        if (dataEnd + 2 - start > this.maxRequestBytes) return this.invalid('request too large')
        if (dataEnd + 2 > end) {
          this.need = dataEnd + 2 - start
          return INCOMPLETE
        }
        if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return this.invalid('data block not terminated by CRLF')
        return dataEnd + 2
      }
    }
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
    if (2 * this.keyCount + 2 > this.keys.length) {
      const grown = new Int32Array(this.keys.length * 2)
      grown.set(this.keys)
      this.keys = grown
    }
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
