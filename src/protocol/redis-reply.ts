// Finds where one redis reply ends. Replies are forwarded byte for byte, so only their boundaries
// matter. The scanner is a state machine fed the stream in whatever pieces the socket delivers:
// each call goes on from the byte where the last one stopped, so every byte is looked at once
// (nested arrays of any depth are walked by counting the elements still due; a bulk body is
// skipped by its length, not looked at).
import {INCOMPLETE, INVALID} from './redis-request.js'

export {INCOMPLETE, INVALID}

const CR = 13
const LF = 10
/** most digits of a length or count in a header line before calling it garbage */
const MAX_DIGITS = 15

const enum Phase {
  /** the type byte of the next element */
  Type,
  /** the text of a simple line (+ - : and RESP3 scalars), up to its CR */
  Text,
  /** the length or count of $ ! = * ~ > %, up to its CR */
  Number,
  /** the LF closing a header line */
  HeaderLf,
  /** the bytes of a bulk body still to skip */
  Body,
  /** the CR after a bulk body */
  BodyCr,
  /** the LF after a bulk body */
  BodyLf,
}

export class RedisReplyScanner {
  private phase = Phase.Type
  /** elements of the current reply not yet complete (the element being read included) */
  private due = 1
  private type = 0
  private number = 0
  private negative = false
  private digits = 0
  private bodyLeft = 0
  /** bytes scan() has looked at (or skipped, for bulk bodies) since the scanner was made */
  examined = 0

  /** Forgets a reply in progress (its connection was closed, or a caller scans whole replies). */
  reset(): void {
    this.phase = Phase.Type
    this.due = 1
  }

  /**
   * Scans on: buf[start, end) are the next bytes of the stream. Returns the offset in buf where
   * the reply in progress ends, INCOMPLETE when it goes on past `end` (the scanner keeps its
   * place), or INVALID.
   */
  scan(buf: Uint8Array, start: number, end: number): number {
    const stop = this.walk(buf, start, end)
    this.examined += (stop >= 0 ? stop : end) - start
    return stop
  }

  private walk(buf: Uint8Array, start: number, end: number): number {
    let pos = start
    while (pos < end) {
      switch (this.phase) {
        case Phase.Type:
          this.type = buf[pos++]
          if (!this.startHeader()) return this.invalid()
          break
        case Phase.Text: {
          while (pos < end && buf[pos] !== CR) pos++
          if (pos < end) {
            pos++
            this.phase = Phase.HeaderLf
          }
          break
        }
        case Phase.Number: {
          const c = buf[pos++]
          if (c === CR) {
            if (this.digits === 0) return this.invalid()
            this.phase = Phase.HeaderLf
          } else if (c === 45 /* '-' */ && this.digits === 0 && !this.negative) {
            this.negative = true
          } else if (c >= 48 && c <= 57 && ++this.digits <= MAX_DIGITS) {
            this.number = this.number * 10 + (c - 48)
          } else {
            return this.invalid()
          }
          break
        }
        case Phase.HeaderLf:
          if (buf[pos++] !== LF) return this.invalid()
          if (!this.endHeader()) return this.invalid()
          if (this.due === 0) return this.complete(pos)
          break
        case Phase.Body: {
          const take = Math.min(this.bodyLeft, end - pos)
          pos += take
          this.bodyLeft -= take
          if (this.bodyLeft === 0) this.phase = Phase.BodyCr
          break
        }
        case Phase.BodyCr:
          if (buf[pos++] !== CR) return this.invalid()
          this.phase = Phase.BodyLf
          break
        case Phase.BodyLf:
          if (buf[pos++] !== LF) return this.invalid()
          this.phase = Phase.Type
          if (--this.due === 0) return this.complete(pos)
          break
      }
    }
    return INCOMPLETE
  }

  /** After the type byte: which kind of header line follows. */
  private startHeader(): boolean {
    switch (this.type) {
      case 43: // '+'
      case 45: // '-'
      case 58: // ':'
      case 95: // '_' (RESP3 null)
      case 44: // ',' (RESP3 double)
      case 35: // '#' (RESP3 boolean)
      case 40: // '(' (RESP3 big number)
        this.phase = Phase.Text
        return true
      case 36: // '$'
      case 33: // '!' (RESP3 blob error)
      case 61: // '=' (RESP3 verbatim)
      case 42: // '*'
      case 126: // '~' (RESP3 set)
      case 62: // '>' (RESP3 push)
      case 37: // '%' (RESP3 map)
        this.phase = Phase.Number
        this.number = 0
        this.negative = false
        this.digits = 0
        return true
      default:
        return false
    }
  }

  /** After a header line's LF: what the element still needs. False when the header is invalid. */
  private endHeader(): boolean {
    this.phase = Phase.Type
    const n = this.negative ? -this.number : this.number
    switch (this.type) {
      case 36: // '$'
      case 33: // '!'
      case 61: // '='
        if (n < -1) return false
        if (n >= 0) {
          this.bodyLeft = n
          this.phase = n > 0 ? Phase.Body : Phase.BodyCr
          return true
        }
        break
      case 42: // '*'
      case 126: // '~'
      case 62: // '>'
        if (n < -1) return false
        if (n > 0) this.due += n
        break
      case 37: // '%'
        if (n < -1) return false
        if (n > 0) this.due += 2 * n
        break
    }
    this.due--
    return true
  }

  private complete(pos: number): number {
    this.reset()
    return pos
  }

  private invalid(): number {
    this.reset()
    return INVALID
  }
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
