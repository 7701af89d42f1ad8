// The two small text rules nutcracker applies everywhere: how it reads a number, and how it
// orders strings. Both are reproduced exactly, overflow and all, because they decide which
// files are valid and the order of pools and servers (server indexes, stats order).

/**
 * nutcracker's nc_atoi: digits only (no sign, no spaces), accumulated in a C int that wraps
 * at 32 bits; a result below zero means "not a number". So "2147483648" is rejected while
 * "4294967297" is read as 1. Returns undefined for what nutcracker rejects.
 */
export function nutcrackerAtoi(text: string): number | undefined {
  if (text.length === 0) return undefined
  let value = 0
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return undefined
    value = (value * 10 + digit) | 0
  }
  return value < 0 ? undefined : value
}

/** True when nutcrackerAtoi's result is not the number written (it wrapped around 2^32). */
export function atoiWrapped(text: string, value: number): boolean {
  return BigInt(text) !== BigInt(value)
}

/**
 * nutcracker's string_compare: the shorter string first, then bytewise. So "server2" sorts
 * before "server10", and "zz" before "aaa".
 */
export function compareNutcracker(a: string, b: string): number {
  const ab = Buffer.from(a, 'utf8')
  const bb = Buffer.from(b, 'utf8')
  if (ab.length !== bb.length) return ab.length - bb.length
  return Buffer.compare(ab, bb)
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}
