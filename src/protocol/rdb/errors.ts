// The one error a bad RDB input gives: truncated, corrupted, or holding what cannot be read here
// (a module value, an unknown type). It names the byte offset and what was expected there, so a
// user can tell a cut download from a foreign format in one sentence.
import {UserError} from '../../errors.js'

export class RdbError extends UserError {
  /** absolute byte offset in the RDB stream where reading failed */
  readonly offset: number
  /** what the reader expected there, in words */
  readonly expected: string

  constructor(offset: number, expected: string, detail: string, options: {cause?: unknown} = {}) {
    super(`RDB ${detail} at byte ${offset}: expected ${expected}.`, {cause: options.cause})
    this.name = 'RdbError'
    this.offset = offset
    this.expected = expected
  }
}

/** Thrown inside a parse step when the bytes ran out; the driver waits for more or reports truncation. */
export const NEED_MORE: unique symbol = Symbol('rdb: need more bytes')

/** Thrown by decoders of complete buffers when a structure does not hold together. */
export class CorruptValue extends Error {
  constructor(readonly relativeOffset: number, readonly expected: string) {
    super(expected)
  }
}
