// The bytes received and not yet consumed, kept contiguous so a record is parsed in place. Bytes
// are only ever appended past what was written: views handed out earlier (keys, values) stay valid
// after the buffer moves on. A chunk that arrives when nothing is pending is adopted as is.

const MIN_ALLOCATION = 256 * 1024

export class InputBuffer {
  buf: Buffer = Buffer.alloc(0)
  /** first unconsumed byte */
  start = 0
  /** end of the received bytes */
  end = 0
  /** absolute stream offset of buf[0] */
  base = 0

  get pending(): number {
    return this.end - this.start
  }

  /** absolute offset of the first unconsumed byte */
  get offset(): number {
    return this.base + this.start
  }

  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    if (this.start === this.end) {
      this.base += this.end
      this.buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
      this.start = 0
      this.end = chunk.length
      return
    }
    if (this.buf.length - this.end < chunk.length) {
      this.moveTo(Math.max(MIN_ALLOCATION, 2 * (this.pending + chunk.length)))
    }
    this.buf.set(chunk, this.end)
    this.end += chunk.length
  }

  consume(to: number): void {
    this.start = to
  }

  /** Copies the pending bytes to a new buffer of `size` bytes; the old one is left untouched. */
  private moveTo(size: number): void {
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, this.start, this.end)
    this.base += this.start
    this.end -= this.start
    this.start = 0
    this.buf = next
  }
}
