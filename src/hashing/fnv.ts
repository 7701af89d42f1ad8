// The four FNV variants of nutcracker. Every one returns 32 bits, and only the low 32 bits of a
// product depend on the low 32 bits of its factors, so the 64-bit variants reduce to 32-bit
// arithmetic with the low halves of the 64-bit offset basis (0x84222325) and prime (0x1b3).
// nutcracker's fnv1a_64 is itself written as a 32-bit computation. Key bytes are C `char`,
// sign-extended on x86-64, and only their low 32 bits matter here too.

const FNV_64_INIT_LOW = 0x84222325
const FNV_64_PRIME_LOW = 0x1b3
const FNV_32_INIT = 0x811c9dc5
const FNV_32_PRIME = 16777619

export function fnv1_64(key: Uint8Array, start: number, end: number): number {
  let hash = FNV_64_INIT_LOW
  for (let i = start; i < end; i++) hash = Math.imul(hash, FNV_64_PRIME_LOW) ^ ((key[i]! << 24) >> 24)
  return hash >>> 0
}

export function fnv1a_64(key: Uint8Array, start: number, end: number): number {
  let hash = FNV_64_INIT_LOW
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ ((key[i]! << 24) >> 24), FNV_64_PRIME_LOW)
  return hash >>> 0
}

export function fnv1_32(key: Uint8Array, start: number, end: number): number {
  let hash = FNV_32_INIT
  for (let i = start; i < end; i++) hash = Math.imul(hash, FNV_32_PRIME) ^ ((key[i]! << 24) >> 24)
  return hash >>> 0
}

export function fnv1a_32(key: Uint8Array, start: number, end: number): number {
  let hash = FNV_32_INIT
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ ((key[i]! << 24) >> 24), FNV_32_PRIME)
  return hash >>> 0
}
