// A stream of RESP multibulk commands, as a Redis master sends its replicas: push the bytes as
// they come (append), then take the complete commands (next), each with its arguments and the
// stream offset just past it. Unlike redis-request.ts (nutcracker's rules: its command table,
// its key length limit) every command is accepted, since a master may send any write command,
// SELECT, PING, MULTI/EXEC or REPLCONF GETACK. Arguments are views into the received bytes
// (never copied); a command split across chunks is scanned again once more bytes arrive.
import {UserError} from '../errors.js'

const CR = 13
const LF = 10
const MAX_HEADER_DIGITS = 11

export interface StreamCommand {
  /** the arguments, the command name first */
  args: Buffer[]
  /** the stream offset just past this command (the offset a replica reports once it applied it) */
  endOffset: number
}

export class CommandStreamReader {
  private buf: Buffer = Buffer.alloc(0)
  private start = 0
  private end = 0
  /** stream offset of buf[start] */
  private offset: number

  /** @param offset the stream offset of the first byte to come (a replica's offset before it) */
  constructor(offset: number, private readonly maxCommandBytes = 1024 * 1024 * 1024) {
    this.offset = offset
  }

  /** bytes received and not yet part of a complete command */
  get pending(): number {
    return this.end - this.start
  }

  /** the stream offset just past the last complete command taken */
  get consumedOffset(): number {
    return this.offset
  }

  append(chunk: Buffer): void {
    if (chunk.length === 0) return
    if (this.start === this.end) {
      this.buf = chunk
      this.start = 0
      this.end = chunk.length
      return
    }
    if (this.buf.length - this.end < chunk.length) {
      // a new buffer: views handed out earlier keep pointing at the old one
      const next = Buffer.allocUnsafe(Math.max(64 * 1024, 2 * (this.pending + chunk.length)))
      this.buf.copy(next, 0, this.start, this.end)
      this.end -= this.start
      this.start = 0
      this.buf = next
    }
    chunk.copy(this.buf, this.end)
    this.end += chunk.length
  }

  /** The next complete command, or undefined until more bytes arrive. */
  next(): StreamCommand | undefined {
    const buf = this.buf
    const from = this.start
    if (from >= this.end) return undefined
    if (buf[from] !== 42 /* '*' */) {
      if (buf[from] === LF || buf[from] === CR) {
        // a bare newline (a master's keepalive): counted in the offset, no command
        this.start++
        this.offset++
        return this.next()
      }
      throw this.invalid('a "*" opening a command')
    }
    let pos = from + 1
    const argc = this.number(pos)
    if (argc === undefined) return undefined
    pos = argc.next
    const args: Buffer[] = new Array(argc.value)
    for (let i = 0; i < argc.value; i++) {
      if (pos >= this.end) return undefined
      if (buf[pos] !== 36 /* '$' */) throw this.invalid('a "$" opening an argument')
      const length = this.number(pos + 1)
      if (length === undefined) return undefined
      const argStart = length.next
      const argEnd = argStart + length.value
      if (argEnd + 2 - from > this.maxCommandBytes) throw this.invalid(`a command of at most ${this.maxCommandBytes} bytes`)
      if (argEnd + 2 > this.end) return undefined
      if (buf[argEnd] !== CR || buf[argEnd + 1] !== LF) throw this.invalid('CRLF after an argument')
      args[i] = buf.subarray(argStart, argEnd)
      pos = argEnd + 2
    }
    this.offset += pos - from
    this.start = pos
    return {args, endOffset: this.offset}
  }

  /** A decimal number ending in CRLF at buf[pos]; undefined when its bytes have not all arrived. */
  private number(pos: number): {value: number; next: number} | undefined {
    const buf = this.buf
    let value = 0
    let digits = 0
    for (;; pos++) {
      if (pos >= this.end) return undefined
      const c = buf[pos]
      if (c >= 48 && c <= 57) {
        value = value * 10 + (c - 48)
        if (++digits > MAX_HEADER_DIGITS) throw this.invalid('a length of at most 11 digits')
      } else if (c === CR) break
      else throw this.invalid('a decimal length')
    }
    if (pos + 1 >= this.end) return undefined
    if (buf[pos + 1] !== LF || digits === 0) throw this.invalid('a length ended by CRLF')
    return {value, next: pos + 2}
  }

  private invalid(expected: string): UserError {
    return new UserError(`The replication stream is not RESP at offset ${this.offset}: expected ${expected}.`)
  }
}
