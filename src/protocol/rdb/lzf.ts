// LZF decompression, for strings an RDB stores compressed (rdbcompression yes, longer than 20
// bytes). The output size is declared in the file; it is checked, and every back reference is
// checked against what was already written, so corrupted input ends in CorruptValue, never in a
// read outside the buffers.
import {CorruptValue} from './errors.js'

/** Decompresses src[start, end) into a new Buffer of exactly `outLength` bytes. */
export function lzfDecompress(src: Uint8Array, start: number, end: number, outLength: number): Buffer {
  const out = Buffer.allocUnsafe(outLength)
  let ip = start
  let op = 0
  while (ip < end) {
    const ctrl = src[ip++]
    if (ctrl < 32) {
      // a literal run of ctrl + 1 bytes
      const run = ctrl + 1
      if (op + run > outLength) throw new CorruptValue(ip - start, 'an LZF literal that fits the declared length')
      if (ip + run > end) throw new CorruptValue(ip - start, 'an LZF literal inside the compressed bytes')
      out.set(src.subarray(ip, ip + run), op)
      ip += run
      op += run
      continue
    }
    // a back reference: length in the top 3 bits (7 means one more length byte), distance in 13 bits
    let length = ctrl >>> 5
    if (length === 7) {
      if (ip >= end) throw new CorruptValue(ip - start, 'an LZF length byte')
      length += src[ip++]
    }
    if (ip >= end) throw new CorruptValue(ip - start, 'an LZF distance byte')
    let ref = op - ((ctrl & 0x1f) << 8) - 1 - src[ip++]
    length += 2
    if (ref < 0) throw new CorruptValue(ip - start, 'an LZF back reference inside the output')
    if (op + length > outLength) throw new CorruptValue(ip - start, 'an LZF back reference that fits the declared length')
    // byte by byte: the source may overlap the bytes being written (runs)
    for (let i = 0; i < length; i++) out[op++] = out[ref++]
  }
  if (op !== outLength) throw new CorruptValue(end - start, `${outLength} decompressed bytes, got ${op}`)
  return out
}
