// Scans redis requests. Only RESP multibulk requests are accepted, as nutcracker does: an inline
// command, a malformed frame, an unknown command or a wrong argument count is an error, and the
// caller closes the client. The scanner records the byte range of every argument (from the
// request's first byte) so the proxy can route by the key's bytes and forward the original bytes
// unchanged.
//
// Like nutcracker's parser it is a state machine fed the stream in whatever pieces the socket
// delivers: each call goes on from the byte where the last one stopped, so a request costs its
// length once however it is cut (a bulk body is skipped by its length, not looked at). Memory
// follows the bytes received, never a count the client declared: the argument table grows as
// arguments arrive.
import {Arity, type CommandInfo, isPublishedKey, lookupCommand, publishedArityOk, type PublishedCommands} from './redis-commands.js'

/** scan() result: the request goes on past the bytes given (the scanner keeps its place). */
export const INCOMPLETE = -1
/** scan() result: the bytes are not a request nutcracker accepts. */
export const INVALID = -2

const CR = 13
const LF = 10
/** longest "*<n>" or "$<n>" header line we accept before calling it garbage */
const MAX_HEADER_DIGITS = 11
/** the most arguments a request may declare */
const MAX_ARGUMENTS = 1 << 20
/** no command name is longer; a longer one is unknown without being read */
const MAX_NAME = 32
/** EVAL's numkeys is read like nutcracker's numbers: at most this many digits */
const MAX_NUMKEYS_DIGITS = 15
const NO_ARGS = new Int32Array(0)

const enum Phase {
  /** the '*' that opens a request */
  Star,
  /** the argument count, up to its CR */
  Count,
  /** the LF after the argument count */
  CountLf,
  /** the '$' of the next argument */
  Dollar,
  /** a bulk length, up to its CR */
  Length,
  /** the LF after a bulk length */
  LengthLf,
  /** the bytes of an argument still to read */
  Body,
  /** the CR after an argument */
  BodyCr,
  /** the LF after an argument */
  BodyLf,
}

export class RedisRequestScanner {
  /** the command of the last complete request (or of the incomplete one, once its name is known) */
  cmd: CommandInfo | undefined = undefined
  /** number of arguments including the command name, once the request is complete */
  argc = 0
  /** [start, end) of argument i at args[2i], args[2i+1], counted from the request's first byte; argument 0 is the command name */
  args: Int32Array = NO_ARGS
  /** why the last INVALID happened, for the log */
  reason = ''
  /** bytes scan() has looked at (or skipped, for bulk bodies) since the scanner was made */
  examined = 0

  private phase = Phase.Star
  /** bytes of the request in progress taken by earlier calls */
  private taken = 0
  private number = 0
  private digits = 0
  /** arguments the request declared, and the index of the one being read */
  private declared = 0
  private arg = 0
  private bodyLeft = 0
  private evalKeys = 0
  /** an argument the scanner must read (the name, EVAL's numkeys) when it spans pieces */
  private small: Uint8Array | null = null
  private smallLength = 0

  /**
   * @param maxKeyLength a key this long or longer is an error (nutcracker: mbuf data size)
   * @param maxRequestBytes a request larger than this is an error (twproxy's memory bound)
   * @param published the pool's published commands (`command_keys: backend`), asked only for names nutcracker's table lacks
   */
  constructor(public maxKeyLength = 16336, public maxRequestBytes = 512 * 1024 * 1024, private readonly published?: PublishedCommands) {}

  /** Forgets a request in progress (a caller that scans whole requests, or a closed client). */
  reset(): void {
    this.phase = Phase.Star
    this.taken = 0
    this.smallLength = 0
  }

  /**
   * Forgets a request in progress and gives back the argument table and the name buffer (an idle
   * client keeps neither): the next request makes them again.
   */
  release(): void {
    this.reset()
    this.args = NO_ARGS
    this.small = null
  }

  /**
   * Scans on: buf[start, end) are the next bytes of the stream. Returns the offset in buf where
   * the request in progress ends, INCOMPLETE when it goes on past `end`, or INVALID.
   */
  scan(buf: Uint8Array, start: number, end: number): number {
    if (this.phase === Phase.Star) {
      this.cmd = undefined
      this.argc = 0
    }
    const stop = this.walk(buf, start, end)
    this.examined += (stop >= 0 ? stop : end) - start
    if (stop === INCOMPLETE) this.taken += end - start
    else this.reset()
    return stop
  }

  private walk(buf: Uint8Array, start: number, end: number): number {
    /** position in the request of buf[0] */
    const origin = this.taken - start
    let pos = start
    while (pos < end) {
      switch (this.phase) {
        case Phase.Star:
          if (buf[pos++] !== 42 /* '*' */) return this.invalid('inline or unknown request form')
          this.startNumber(Phase.Count)
          break
        case Phase.Count:
        case Phase.Length: {
          for (; pos < end; pos++) {
            const c = buf[pos]
            if (c >= 48 && c <= 57) {
              this.number = this.number * 10 + (c - 48)
              if (++this.digits > MAX_HEADER_DIGITS) {
                return this.invalid(this.phase === Phase.Count ? 'argument count too long' : 'bulk length too long')
              }
            } else if (c === CR) {
              pos++
              this.phase = this.phase === Phase.Count ? Phase.CountLf : Phase.LengthLf
              break
            } else {
              return this.invalid(this.phase === Phase.Count ? 'bad argument count' : 'bad bulk length')
            }
          }
          break
        }
        case Phase.CountLf:
          if (buf[pos++] !== LF || this.digits === 0 || this.number === 0) return this.invalid('bad argument count')
          if (this.number > MAX_ARGUMENTS) return this.invalid('too many arguments')
          this.declared = this.number
          this.arg = 0
          this.phase = Phase.Dollar
          break
        case Phase.Dollar:
          if (buf[pos++] !== 36 /* '$' */) return this.invalid('bulk string expected')
          this.startNumber(Phase.Length)
          break
        case Phase.LengthLf:
          if (buf[pos++] !== LF || this.digits === 0) return this.invalid('bad bulk length')
          if (!this.startArgument(origin + pos)) return INVALID
          if (this.bodyLeft === 0 && !this.argumentRead(buf, pos, pos)) return INVALID
          break
        case Phase.Body: {
          const take = Math.min(this.bodyLeft, end - pos)
          if (this.small !== null && this.mustRead()) {
            if (this.smallLength === 0 && take === this.bodyLeft) {
              // all of it in this piece: read it in place
              this.bodyLeft = 0
              if (!this.argumentRead(buf, pos, pos + take)) return INVALID
              pos += take
              break
            }
            this.small.set(buf.subarray(pos, pos + take), this.smallLength)
            this.smallLength += take
          }
          pos += take
          this.bodyLeft -= take
          if (this.bodyLeft === 0) {
            if (this.mustRead()) {
              const small = this.small!
              const length = this.smallLength
              this.smallLength = 0
              if (!this.argumentRead(small, 0, length)) return INVALID
            } else {
              this.phase = Phase.BodyCr
            }
          }
          break
        }
        case Phase.BodyCr:
          if (buf[pos++] !== CR) return this.invalid('bulk string not terminated by CRLF')
          this.phase = Phase.BodyLf
          break
        case Phase.BodyLf:
          if (buf[pos++] !== LF) return this.invalid('bulk string not terminated by CRLF')
          if (++this.arg === this.declared) {
            this.argc = this.declared
            return pos
          }
          this.phase = Phase.Dollar
          break
      }
    }
    return INCOMPLETE
  }

  private startNumber(phase: Phase): void {
    this.phase = phase
    this.number = 0
    this.digits = 0
  }

  /** A bulk header "$<len>\r\n" ended; the argument's bytes start at `at` in the request. */
  private startArgument(at: number): boolean {
    const len = this.number
    const i = this.arg
    if (at + len + 2 > this.maxRequestBytes) return this.fail('request too large')
    if (i === 0) {
      if (len === 0) return this.fail('empty command name')
      if (len > MAX_NAME) return this.fail('unsupported command')
    } else if (this.isKey(i)) {
      if (len >= this.maxKeyLength) return this.fail('key too long')
    } else if (i === 2 && this.cmd!.arity === Arity.Eval && len > MAX_NUMKEYS_DIGITS) {
      return this.fail('EVAL needs numkeys > 0')
    }
    if (2 * i + 2 > this.args.length) this.growArgs()
    this.args[2 * i] = at
    this.args[2 * i + 1] = at + len
    this.bodyLeft = len
    this.phase = Phase.Body
    if (this.mustRead() && this.small === null) this.small = new Uint8Array(MAX_NAME)
    return true
  }

  /** Whether the argument being read is one the scanner looks at (the name, EVAL's numkeys). */
  private mustRead(): boolean {
    return this.arg === 0 || (this.arg === 2 && this.cmd!.arity === Arity.Eval)
  }

  /** The argument being read is all there (at bytes[start, end) when the scanner reads it). */
  private argumentRead(bytes: Uint8Array, start: number, end: number): boolean {
    this.phase = Phase.BodyCr
    if (this.arg === 0) {
      // The name is known before the rest arrives: reject unknown commands and bad counts early.
      const cmd = lookupCommand(bytes, start, end) ?? this.published?.lookup(bytes, start, end)
      if (cmd === undefined) return this.fail('unsupported command')
      if (!arityOk(cmd, this.declared)) return this.fail('wrong number of arguments')
      this.cmd = cmd
    } else if (this.arg === 2 && this.cmd!.arity === Arity.Eval) {
      this.evalKeys = parseDigits(bytes, start, end)
      if (this.evalKeys <= 0) return this.fail('EVAL needs numkeys > 0')
    }
    return true
  }

  /** The argument table grows with the arguments read, never to a count declared. */
  private growArgs(): void {
    const grown = new Int32Array(Math.max(16, this.args.length * 2))
    grown.set(this.args)
    this.args = grown
  }

  private isKey(i: number): boolean {
    switch (this.cmd!.arity) {
      case Arity.Published:
        return isPublishedKey(this.cmd!.keys!, i, this.declared)
      case Arity.Zero:
      case Arity.NoKey:
        return false
      case Arity.MultiKey:
        return true
      case Arity.KeyValues:
        return (i & 1) === 1
      case Arity.Eval:
        return i >= 3 && i < 3 + this.evalKeys
      default:
        return i === 1
    }
  }

  private fail(reason: string): false {
    this.reason = reason
    return false
  }

  private invalid(reason: string): number {
    this.reason = reason
    return INVALID
  }

  /** Start of argument i. */
  argStart(i: number): number {
    return this.args[2 * i]
  }

  /** End (exclusive) of argument i. */
  argEnd(i: number): number {
    return this.args[2 * i + 1]
  }
}

function arityOk(cmd: CommandInfo, argc: number): boolean {
  switch (cmd.arity) {
    case Arity.Zero: return argc === 1
    case Arity.Key: return argc === 2
    case Arity.KeyPlus1: return argc === 3
    case Arity.KeyPlus2: return argc === 4
    case Arity.KeyPlus3: return argc === 5
    case Arity.KeyPlusN:
    case Arity.MultiKey: return argc >= 2
    case Arity.KeyValues: return argc >= 3 && (argc & 1) === 1
    case Arity.Eval: return argc >= 4
    case Arity.NoKey: return argc >= 1
    case Arity.Published: return publishedArityOk(cmd.keys!, argc)
  }
}

/** Non-negative decimal in buf[start, end); -1 when it is not all digits or empty. */
export function parseDigits(buf: Uint8Array, start: number, end: number): number {
  if (start >= end || end - start > 15) return -1
  let n = 0
  for (let i = start; i < end; i++) {
    const c = buf[i]
    if (c < 48 || c > 57) return -1
    n = n * 10 + (c - 48)
  }
  return n
}

/**
 * The command name's [start, end) in a RESP request "*N\r\n$L\r\nNAME\r\n...", read without
 * scanning the rest (a caller that cares about a few commands looks the name up first), or
 * undefined when the name is not all there.
 */
export function commandNameRange(data: Uint8Array): [number, number] | undefined {
  let i = data.indexOf(LF)
  if (i < 0 || data[i + 1] !== 36 /* '$' */) return undefined
  let len = 0
  for (i += 2; i < data.length && data[i] !== CR; i++) len = len * 10 + (data[i] - 48)
  const start = i + 2
  return start + len <= data.length ? [start, start + len] : undefined
}
