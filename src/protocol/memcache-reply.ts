// Finds where one memcache ASCII reply ends: a single line (STORED, NOT_FOUND, a number,
// VERSION..., ERROR...), or a run of `VALUE <key> <flags> <bytes> [<cas>]` blocks closed by END.
import {INCOMPLETE, INVALID} from './redis-request.js'

const CR = 13
const LF = 10

export class MemcacheReplyScanner {
  need = 0

  scan(buf: Uint8Array, start: number, end: number): number {
    let pos = start
    for (;;) {
      const lf = indexOfLf(buf, pos, end)
      if (lf < 0) return this.incomplete(start, end + 1)
      if (lf === pos || buf[lf - 1] !== CR) return INVALID
      if (!startsWith(buf, pos, lf, 'VALUE ')) {
        // END closes a VALUE run; any other line is a reply of its own
        return lf + 1
      }
      const bytes = valueBytes(buf, pos, lf - 1)
      if (bytes < 0) return INVALID
      const dataEnd = lf + 1 + bytes
      if (dataEnd + 2 > end) return this.incomplete(start, dataEnd + 2)
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return INVALID
      pos = dataEnd + 2
    }
  }

  private incomplete(start: number, needEnd: number): number {
    this.need = needEnd - start
    return INCOMPLETE
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
