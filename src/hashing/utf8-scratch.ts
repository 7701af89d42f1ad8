// A reusable buffer that string keys are encoded into (UTF-8), so placing a string key does not
// allocate a new byte array each time.
import {Buffer} from 'node:buffer'

export class Utf8Scratch {
  bytes: Buffer = Buffer.allocUnsafe(256)
  length = 0

  /** Encodes `text` into `bytes` (growing it when needed) and sets `length`. */
  encode(text: string): Buffer {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    if (text.length * 3 > this.bytes.length) this.bytes = Buffer.allocUnsafe(Math.max(text.length * 3, this.bytes.length * 2))
    this.length = this.bytes.write(text, 0, 'utf8')
    return this.bytes
  }
}
