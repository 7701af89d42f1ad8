// Scans redis requests in place. Only RESP multibulk requests are accepted, as nutcracker does:
// an inline command, a malformed frame, an unknown command or a wrong argument count is an error,
// and the caller closes the client. The scanner records the byte range of every argument so the
// proxy can route by the key's bytes and forward the original bytes unchanged.
import {Arity, type CommandInfo, isPublishedKey, lookupCommand, publishedArityOk, type PublishedCommands} from './redis-commands.js'

/** scan() result: the request is not complete yet (see `need`). */
export const INCOMPLETE = -1
/** scan() result: the bytes are not a request nutcracker accepts. */
export const INVALID = -2

const CR = 13
const LF = 10
/** longest "*<n>" or "$<n>" header line we accept before calling it garbage */
const MAX_HEADER_DIGITS = 11

export class RedisRequestScanner {
  /** the command of the last complete request (or of the incomplete one, once its name is known) */
  cmd: CommandInfo | undefined = undefined
  /** number of arguments including the command name */
  argc = 0
  /** [start, end) of argument i at args[2i], args[2i+1]; argument 0 is the command name */
  args: Int32Array = new Int32Array(64)
  /** when scan() returns INCOMPLETE: how many bytes from `start` are needed at least before scanning again */
  need = 0
  /** why the last INVALID happened, for the log */
  reason = ''

  /**
   * @param maxKeyLength a key this long or longer is an error (nutcracker: mbuf data size)
   * @param maxRequestBytes a request larger than this is an error (twproxy's memory bound)
   * @param published the pool's published commands (`command_keys: backend`), asked only for names nutcracker's table lacks
   */
  constructor(public maxKeyLength = 16336, public maxRequestBytes = 512 * 1024 * 1024, private readonly published?: PublishedCommands) {}

  /** Scans one request at buf[start, end). Returns its end offset, INCOMPLETE or INVALID. */
  scan(buf: Uint8Array, start: number, end: number): number {
    this.cmd = undefined
    this.argc = 0
    if (start >= end) return this.incomplete(start, start + 1)
    if (buf[start] !== 42 /* '*' */) return this.invalid('inline or unknown request form')
    let pos = start + 1
    // *<argc>\r\n
    let argc = 0
    let digits = 0
    for (;;) {
      if (pos >= end) return this.incomplete(start, end + 1)
      const c = buf[pos]
      if (c >= 48 && c <= 57) {
        argc = argc * 10 + (c - 48)
        if (++digits > MAX_HEADER_DIGITS) return this.invalid('argument count too long')
        pos++
      } else if (c === CR) {
        break
      } else {
        return this.invalid('bad argument count')
      }
    }
    if (pos + 1 >= end) return this.incomplete(start, pos + 2)
    if (buf[pos + 1] !== LF || digits === 0 || argc === 0) return this.invalid('bad argument count')
    pos += 2
    if (argc * 2 > this.args.length) {
      if (argc > 1 << 20) return this.invalid('too many arguments')
      this.args = new Int32Array(Math.max(argc * 2, this.args.length * 2))
    }
    const args = this.args
    let evalKeys = 0
    for (let i = 0; i < argc; i++) {
      // $<len>\r\n<bytes>\r\n
      if (pos >= end) return this.incomplete(start, pos + 1)
      if (buf[pos] !== 36 /* '$' */) return this.invalid('bulk string expected')
      pos++
      let len = 0
      digits = 0
      for (;;) {
        if (pos >= end) return this.incomplete(start, end + 1)
        const c = buf[pos]
        if (c >= 48 && c <= 57) {
          len = len * 10 + (c - 48)
          if (++digits > MAX_HEADER_DIGITS) return this.invalid('bulk length too long')
          pos++
        } else if (c === CR) {
          break
        } else {
          return this.invalid('bad bulk length')
        }
      }
      if (pos + 1 >= end) return this.incomplete(start, pos + 2)
      if (buf[pos + 1] !== LF || digits === 0) return this.invalid('bad bulk length')
      pos += 2
      const argEnd = pos + len
      if (argEnd + 2 - start > this.maxRequestBytes) return this.invalid('request too large')
      if (i === 0) {
        if (len === 0) return this.invalid('empty command name')
        // The name is known before the rest arrives: reject unknown commands and bad counts early.
        if (argEnd > end) return this.incomplete(start, argEnd + 2)
        const cmd = lookupCommand(buf, pos, argEnd) ?? this.published?.lookup(buf, pos, argEnd)
        if (cmd === undefined) return this.invalid('unsupported command')
        if (!arityOk(cmd, argc)) return this.invalid('wrong number of arguments')
        this.cmd = cmd
      } else if (this.isKey(i, evalKeys, argc)) {
        if (len >= this.maxKeyLength) return this.invalid('key too long')
      }
      if (argEnd + 2 > end) return this.incomplete(start, argEnd + 2)
      if (buf[argEnd] !== CR || buf[argEnd + 1] !== LF) return this.invalid('bulk string not terminated by CRLF')
      args[2 * i] = pos
      args[2 * i + 1] = argEnd
      pos = argEnd + 2
      if (i === 2 && this.cmd!.arity === Arity.Eval) {
        evalKeys = parseDigits(buf, args[4], args[5])
        if (evalKeys <= 0) return this.invalid('EVAL needs numkeys > 0')
      }
    }
    this.argc = argc
    return pos
  }

  private isKey(i: number, evalKeys: number, argc: number): boolean {
    switch (this.cmd!.arity) {
      case Arity.Published:
        return isPublishedKey(this.cmd!.keys!, i, argc)
      case Arity.Zero:
      case Arity.NoKey:
        return false
      case Arity.MultiKey:
        return true
      case Arity.KeyValues:
        return (i & 1) === 1
      case Arity.Eval:
        return i >= 3 && i < 3 + evalKeys
      default:
        return i === 1
    }
  }

  private incomplete(start: number, needEnd: number): number {
    this.need = needEnd - start
    return INCOMPLETE
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
