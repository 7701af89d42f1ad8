// The pieces of one message (a request or a reply) that spans socket reads, kept until the
// scanner finds its end and then joined once. Joining at every read would copy the message again
// each time (the cost would grow with the square of its size), so nothing is joined before the
// end. Small pieces (a client that sends a byte at a time) are gathered into blocks as nutcracker
// gathers bytes into mbufs, so a message held here costs its bytes, not an object per read.

/** pieces smaller than this are copied into a block; larger ones are kept as they are */
const BLOCK_SIZE = 16 * 1024

export class Pieces {
  private list: Uint8Array[] = []
  /** the block small pieces are copied into, and how much of it is used */
  private block: Uint8Array | null = null
  private blockUsed = 0
  /** bytes held */
  bytes = 0

  /** Keeps buf[start, end) (not copied when it is large: the caller must not reuse buf). */
  push(buf: Uint8Array, start: number, end: number): void {
    const length = end - start
    if (length === 0) return
    this.bytes += length
    if (length >= BLOCK_SIZE) {
      this.closeBlock()
      this.list.push(buf.subarray(start, end))
      return
    }
    if (this.block === null || this.blockUsed + length > this.block.length) {
      this.closeBlock()
      this.block = Buffer.allocUnsafeSlow(BLOCK_SIZE)
    }
    this.block.set(buf.subarray(start, end), this.blockUsed)
    this.blockUsed += length
  }

  /** The pieces held followed by buf[start, end), joined into one buffer; the pieces are dropped. */
  join(buf: Uint8Array, start: number, end: number): Uint8Array {
    this.closeBlock()
    const joined = Buffer.allocUnsafe(this.bytes + end - start)
    let at = 0
    for (const piece of this.list) {
      joined.set(piece, at)
      at += piece.length
    }
    joined.set(buf.subarray(start, end), at)
    this.clear()
    return joined
  }

  clear(): void {
    this.list = []
    this.block = null
    this.blockUsed = 0
    this.bytes = 0
  }

  private closeBlock(): void {
    if (this.block === null || this.blockUsed === 0) return
    this.list.push(this.block.subarray(0, this.blockUsed))
    this.block = null
    this.blockUsed = 0
  }
}
