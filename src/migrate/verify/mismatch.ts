// What a verify reports: a key that differs, and how. Shared by every verify (servers, a cluster,
// RDB files, the way back) and the cut-over's last check.
import {keyText} from '../../key-text.js'

export type MismatchKind = 'missing' | 'extra' | 'type' | 'value' | 'ttl'

export interface Mismatch {
  kind: MismatchKind
  key: Buffer
  detail: string
}

export function ttlText(expireAt: number): string {
  return expireAt > 0 ? `expires ${new Date(expireAt).toISOString()}` : 'no expiry'
}

export function describeMismatch(m: Mismatch): {kind: MismatchKind; key: string; detail: string} {
  return {kind: m.kind, key: keyText(m.key), detail: m.detail}
}

/** How many mismatches of each kind. */
export function countMismatches(mismatches: Mismatch[]): Record<MismatchKind, number> {
  const counts: Record<MismatchKind, number> = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}
  for (const m of mismatches) counts[m.kind]++
  return counts
}
