// Bob Jenkins' one-at-a-time hash as nutcracker builds it. The C code adds `char` values, which are
// signed on x86-64, so bytes >= 0x80 are sign-extended before the addition.

export function oneAtATime(key: Uint8Array, start: number, end: number): number {
  let value = 0
  for (let i = start; i < end; i++) {
    value = (value + ((key[i]! << 24) >> 24)) | 0
    value = (value + (value << 10)) | 0
    value ^= value >>> 6
  }
  value = (value + (value << 3)) | 0
  value ^= value >>> 11
  value = (value + (value << 15)) | 0
  return value >>> 0
}
