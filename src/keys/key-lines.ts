// Keys read one per line from a stream, as raw bytes (a key need not be UTF-8), in batches of
// whatever each chunk holds, with memory bounded by the chunk size and the longest line.
import type {Readable} from 'node:stream'
import {UserError} from '../errors.js'

/** Longer lines are refused rather than buffered without limit (nutcracker's own key limit is ~16 KB). */
export const MAX_KEY_BYTES = 1 << 20
const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/**
 * Yields arrays of keys (Buffers, views into the chunk where possible). Lines end at "\n"; a "\r"
 * before it is dropped so CRLF files work; the text after the last newline is a key if not empty.
 */
export async function* readKeyLines(input: Readable): AsyncGenerator<Buffer[]> {
  let partial: Buffer[] = []
  let partialLength = 0
  let lineNumber = 0
  const finish = (line: Buffer): Buffer => {
    lineNumber++
    return line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, line.length - 1) : line
  }
  for await (const data of input) {
    const chunk: Buffer = typeof data === 'string' ? Buffer.from(data) : data
    const keys: Buffer[] = []
    let start = 0
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      let line = chunk.subarray(start, newline)
      if (partialLength > 0) {
        line = Buffer.concat([...partial, line])
        partial = []
        partialLength = 0
      }
      if (line.length > MAX_KEY_BYTES) throw tooLong(lineNumber + 1)
      keys.push(finish(line))
      start = newline + 1
    }
    if (start < chunk.length) {
      // Copy the unfinished line: the chunk itself may be reused by the stream.
      partial.push(Buffer.from(chunk.subarray(start)))
      partialLength += chunk.length - start
      if (partialLength > MAX_KEY_BYTES) throw tooLong(lineNumber + 1)
    }
    if (keys.length > 0) yield keys
  }
  if (partialLength > 0) yield [finish(Buffer.concat(partial))]
}

function tooLong(line: number): UserError {
  return new UserError(`Line ${line} of the input is longer than ${MAX_KEY_BYTES} bytes, too long for a key.`, {
    hint: 'Give one key per line.',
  })
}
