// Finds where one redis reply ends, in place. Replies are forwarded byte for byte, so only their
// boundaries matter; nested arrays of any depth are walked by counting the elements still due.
import {INCOMPLETE, INVALID} from './redis-request.js'

export {INCOMPLETE, INVALID}

const CR = 13
const LF = 10

export class RedisReplyScanner {
  /** when scan() returns INCOMPLETE: bytes from `start` needed at least before scanning again */
  need = 0

  /** Scans one reply at buf[start, end). Returns its end offset, INCOMPLETE or INVALID. */
  scan(buf: Uint8Array, start: number, end: number): number {
    let pos = start
    let due = 1
    while (due > 0) {
      if (pos >= end) return this.incomplete(start, pos + 1)
      const type = buf[pos]
      // the header line: type byte, text, CRLF
      const cr = indexOfCr(buf, pos + 1, end)
      if (cr < 0) return this.incomplete(start, end + 1)
      if (cr + 1 >= end) return this.incomplete(start, cr + 2)
      if (buf[cr + 1] !== LF) return INVALID
      due--
      switch (type) {
        case 43: // '+'
        case 45: // '-'
        case 58: // ':'
        case 95: // '_' (RESP3 null)
        case 44: // ',' (RESP3 double)
        case 35: // '#' (RESP3 boolean)
        case 40: // '(' (RESP3 big number)
          pos = cr + 2
          break
        case 36: // '$'
        case 33: // '!' (RESP3 blob error)
        case 61: { // '=' (RESP3 verbatim)
          const len = signedNumber(buf, pos + 1, cr)
          if (len === null || len < -1) return INVALID
          if (len === -1) {
            pos = cr + 2
            break
          }
          const bodyEnd = cr + 2 + len
          if (bodyEnd + 2 > end) return this.incomplete(start, bodyEnd + 2)
          if (buf[bodyEnd] !== CR || buf[bodyEnd + 1] !== LF) return INVALID
          pos = bodyEnd + 2
          break
        }
        case 42: // '*'
        case 126: // '~' (RESP3 set)
        case 62: { // '>' (RESP3 push)
          const n = signedNumber(buf, pos + 1, cr)
          if (n === null || n < -1) return INVALID
          if (n > 0) due += n
          pos = cr + 2
          break
        }
        case 37: { // '%' (RESP3 map)
          const n = signedNumber(buf, pos + 1, cr)
          if (n === null || n < -1) return INVALID
          if (n > 0) due += 2 * n
          pos = cr + 2
          break
        }
        default:
          return INVALID
      }
    }
    return pos
  }

  private incomplete(start: number, needEnd: number): number {
    this.need = needEnd - start
    return INCOMPLETE
  }
}

function indexOfCr(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === CR) return i
  return -1
}

function signedNumber(buf: Uint8Array, start: number, end: number): number | null {
  let i = start
  let negative = false
  if (i < end && buf[i] === 45) {
    negative = true
    i++
  }
  if (i >= end || end - i > 15) return null
  let n = 0
  for (; i < end; i++) {
    const c = buf[i]
    if (c < 48 || c > 57) return null
    n = n * 10 + (c - 48)
  }
  return negative ? -n : n
}

/**
 * Whether a reply starting at buf[start] is one of the errors nutcracker treats as a transient
 * server failure (-OOM, -BUSY, -LOADING): the reply is dropped and the server connection closed.
 */
export function isTransientError(buf: Uint8Array, start: number, end: number): boolean {
  if (buf[start] !== 45) return false
  return wordIs(buf, start + 1, end, 'OOM') || wordIs(buf, start + 1, end, 'BUSY') || wordIs(buf, start + 1, end, 'LOADING')
}

function wordIs(buf: Uint8Array, start: number, end: number, word: string): boolean {
  const len = word.length
  if (start + len > end) return false
  for (let i = 0; i < len; i++) if (buf[start + i] !== word.charCodeAt(i)) return false
  const next = buf[start + len]
  return next === 32 || next === CR
}
