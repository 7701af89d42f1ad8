// Finds where one memcache ASCII reply ends: a single line (STORED, NOT_FOUND, a number,
// VERSION..., ERROR...), or a run of `VALUE <key> <flags> <bytes> [<cas>]` blocks closed by END.
// Like the redis reply scanner it is fed the stream in pieces and goes on where it stopped: a line
// split between reads is kept (its first bytes only: that is all a VALUE line needs) and a data
// block is skipped by its length.
import {INCOMPLETE, INVALID} from './redis-request.js'

const CR = 13
const LF = 10
/** a VALUE line is at most this long (key <= 250, three numbers); longer lines are not VALUE lines */
const MAX_VALUE_LINE = 512

const enum Phase {
  /** a line, up to its LF */
  Line,
  /** the bytes of a data block still to skip */
  Data,
  /** the CR after a data block */
  DataCr,
  /** the LF after a data block */
  DataLf,
}

export class MemcacheReplyScanner {
  private phase = Phase.Line
  /** the first bytes of a line that started in an earlier piece, and the line's length so far */
  private readonly line = new Uint8Array(MAX_VALUE_LINE)
  private lineLength = 0
  private lastByte = 0
  private dataLeft = 0
  /** bytes scan() has looked at (or skipped, for data blocks) since the scanner was made */
  examined = 0

  /** Forgets a reply in progress. */
  reset(): void {
    this.phase = Phase.Line
    this.lineLength = 0
  }

  /** Scans on from where the last call stopped; see RedisReplyScanner.scan. */
  scan(buf: Uint8Array, start: number, end: number): number {
    const stop = this.walk(buf, start, end)
    this.examined += (stop >= 0 ? stop : end) - start
    return stop
  }

  private walk(buf: Uint8Array, start: number, end: number): number {
    let pos = start
    while (pos < end) {
      switch (this.phase) {
        case Phase.Line: {
          const lineStart = pos
          while (pos < end && buf[pos] !== LF) pos++
          if (pos === end) {
            this.keepLine(buf, lineStart, end)
            break
          }
          const lf = pos++
          const result = this.lineDone(buf, lineStart, lf)
          if (result !== INCOMPLETE) {
            this.reset()
            return result === INVALID ? INVALID : pos
          }
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
          if (buf[pos++] !== CR) return this.invalid()
          this.phase = Phase.DataLf
          break
        case Phase.DataLf:
          if (buf[pos++] !== LF) return this.invalid()
          this.phase = Phase.Line
          break
      }
    }
    return INCOMPLETE
  }

  /** A line goes on past this piece: keep what a VALUE line needs of it. */
  private keepLine(buf: Uint8Array, start: number, end: number): void {
    if (end === start) return
    const room = MAX_VALUE_LINE - this.lineLength
    if (room > 0) this.line.set(buf.subarray(start, start + Math.min(room, end - start)), this.lineLength)
    this.lineLength += end - start
    this.lastByte = buf[end - 1]
  }

  /**
   * The line ending at the LF buf[lf] is complete. Returns 0 when it ends the reply, INCOMPLETE
   * when a VALUE block follows, INVALID.
   */
  private lineDone(buf: Uint8Array, start: number, lf: number): number {
    let line = buf
    let lineStart = start
    let lineEnd = lf
    if (this.lineLength > 0) {
      this.keepLine(buf, start, lf)
      line = this.line
      lineStart = 0
      lineEnd = Math.min(this.lineLength, MAX_VALUE_LINE)
    }
    const length = this.lineLength > 0 ? this.lineLength : lf - start
    const last = lf > start ? buf[lf - 1] : this.lastByte
    this.lineLength = 0
    if (length === 0 || last !== CR) return INVALID
    // END closes a VALUE run; any other line is a reply of its own
    if (!startsWith(line, lineStart, lineEnd, 'VALUE ')) return 0
    if (length > MAX_VALUE_LINE) return INVALID
    const bytes = valueBytes(line, lineStart, lineStart + length - 1)
    if (bytes < 0) return INVALID
    this.dataLeft = bytes
    this.phase = bytes > 0 ? Phase.Data : Phase.DataCr
    return INCOMPLETE
  }

  private invalid(): number {
    this.reset()
    return INVALID
  }
}

/** The VALUE blocks of a get reply at reply[0, end): [start, end) pairs, END excluded. */
export function valueBlocks(reply: Uint8Array): number[] {
  const blocks: number[] = []
  let pos = 0
  while (pos < reply.length && startsWith(reply, pos, reply.length, 'VALUE ')) {
    const lf = indexOfLf(reply, pos, reply.length)
    const bytes = valueBytes(reply, pos, lf - 1)
    const blockEnd = lf + 1 + bytes + 2
    blocks.push(pos, blockEnd)
    pos = blockEnd
  }
  return blocks
}

function indexOfLf(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === LF) return i
  return -1
}

function startsWith(buf: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start < text.length) return false
  for (let i = 0; i < text.length; i++) if (buf[start + i] !== text.charCodeAt(i)) return false
  return true
}

/** The <bytes> field (4th token) of a VALUE line at buf[start, lineEnd). */
function valueBytes(buf: Uint8Array, start: number, lineEnd: number): number {
  let token = 0
  let i = start
  while (i < lineEnd) {
    while (i < lineEnd && buf[i] === 32) i++
    const tokenStart = i
    while (i < lineEnd && buf[i] !== 32) i++
    if (token === 3) {
      if (tokenStart === i) return -1
      let n = 0
      for (let j = tokenStart; j < i; j++) {
        const c = buf[j]
        if (c < 48 || c > 57) return -1
        n = n * 10 + (c - 48)
      }
      return n
    }
    token++
  }
  return -1
}

export {INCOMPLETE, INVALID}
