// Builds RESP commands, the one place that writes "*<argc>\r\n$<len>\r\n<arg>\r\n...". The proxy
// sends commands of its own (the AUTH/SELECT preamble, ASKING, health probes, MIGRATE for key
// handovers) and rebuilds multi-key requests as per-server fragments. Fragments are on the data
// path, so besides the plain `encodeCommand(args)` there is a two-pass form: measure with
// `headerSize`/`bulkSize`, allocate once, then write with `writeHeader`/`writeBulk` straight
// from the client's buffer (no string or intermediate Buffer per argument).

const CR = 13
const LF = 10
const STAR = 42
const DOLLAR = 36

/** Decimal digits of a non-negative integer. */
function digitCount(n: number): number {
  let count = 1
  while (n >= 10) {
    n = Math.floor(n / 10)
    count++
  }
  return count
}

/** Writes n in decimal at out[pos] and returns the end. */
function writeDigits(out: Uint8Array, pos: number, n: number): number {
  const end = pos + digitCount(n)
  let at = end
  do {
    out[--at] = 48 + (n % 10)
    n = Math.floor(n / 10)
  } while (n > 0)
  return end
}

/** Bytes of "*<count>\r\n" (a multibulk command's header, or an array reply's). */
export function headerSize(count: number): number {
  return 1 + digitCount(count) + 2
}

/** Bytes of one bulk string of `length` bytes: "$<length>\r\n<bytes>\r\n". */
export function bulkSize(length: number): number {
  return 1 + digitCount(length) + 2 + length + 2
}

/** Writes "*<count>\r\n" at out[pos]; returns the end. */
export function writeHeader(out: Uint8Array, pos: number, count: number): number {
  out[pos++] = STAR
  pos = writeDigits(out, pos, count)
  out[pos++] = CR
  out[pos++] = LF
  return pos
}

/** Writes src[start, end) as a bulk string at out[pos]; returns the end. */
export function writeBulk(out: Uint8Array, pos: number, src: Uint8Array, start: number, end: number): number {
  out[pos++] = DOLLAR
  pos = writeDigits(out, pos, end - start)
  out[pos++] = CR
  out[pos++] = LF
  out.set(src.subarray(start, end), pos)
  pos += end - start
  out[pos++] = CR
  out[pos++] = LF
  return pos
}

/** "*<count>\r\n": the header of an array reply built by the proxy (a merged MGET). */
export function arrayHeader(count: number): Buffer {
  const out = Buffer.allocUnsafe(headerSize(count))
  writeHeader(out, 0, count)
  return out
}

/** One command as a RESP multibulk; strings are sent as their UTF-8 bytes. */
export function encodeCommand(args: ReadonlyArray<string | Uint8Array>): Buffer {
  const bytes = args.map((arg) => (typeof arg === 'string' ? Buffer.from(arg) : arg))
  let size = headerSize(bytes.length)
  for (const arg of bytes) size += bulkSize(arg.length)
  const out = Buffer.allocUnsafe(size)
  let pos = writeHeader(out, 0, bytes.length)
  for (const arg of bytes) pos = writeBulk(out, pos, arg, 0, arg.length)
  return out
}
