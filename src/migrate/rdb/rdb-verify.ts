// Verification of an RDB restore, both ways, without a server for the file: every key of the
// chosen database (not expired) is looked up on the target (DUMP and expiry, one script call per
// master) and compared with the file: the same value bytes settle it at once; otherwise both
// values are decoded by the RDB reader (the target's DUMP payload is RDB too) and compared in a
// canonical form, so a value the target re-encoded (ziplist into listpack, another server
// version) still matches. The other way: the target's keys beyond those found are "extra"; they
// are named when the file's keys fit in memory (KEY_NAMES_CAP), counted otherwise.
import {keyId} from '../../key-text.js'
import {decodeValue, splitDumpPayload, type KeyRecord} from '../../protocol/rdb/index.js'
import type {MigrationTarget} from '../target/migration-target.js'
import {readOnTarget} from '../target/target-batch.js'
import {sameValue} from '../verify/value-equality.js'
import type {Mismatch, MismatchKind, VerifyReport} from '../verify/verify.js'
import {emptyReport, streamRdbFile} from './rdb-stream.js'

const BATCH_KEYS = 500
/** file keys remembered to name extra target keys; beyond this, extras are only counted */
const KEY_NAMES_CAP = 2_000_000
const MISMATCHES_KEPT = 10_000

export interface RdbVerifyOptions {
  files: string[]
  db: number
  ttlToleranceMs: number
  onProgress?: (checked: number) => void
}

interface Pending {
  key: Buffer
  typeByte: number
  valueBytes: Buffer
  expireAt: number
  flavor: 'redis' | 'valkey'
}

export async function verifyRdbRestore(target: MigrationTarget, options: RdbVerifyOptions): Promise<VerifyReport> {
  const mismatches: Mismatch[] = []
  const counts: Record<MismatchKind, number> = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}
  const fileKeys = new Set<string>()
  let keepNames = true
  let checked = 0
  let found = 0
  const report = (m: Mismatch) => {
    counts[m.kind]++
    if (mismatches.length < MISMATCHES_KEPT) mismatches.push(m)
  }
  let batch: Pending[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const current = batch
    batch = []
    const reads = await readOnTarget(target.client, current.map((p) => p.key))
    for (const [i, want] of current.entries()) {
      const have = reads[i]
      if (!have.payload) {
        // a key whose expiry passed while we looked is not lost
        if (!(want.expireAt > 0 && want.expireAt <= Date.now() + options.ttlToleranceMs)) report({kind: 'missing', key: want.key, detail: 'in the file, not on the target'})
        continue
      }
      found++
      const compared = compareValue(want, have.payload)
      if (compared) {
        report({...compared, key: want.key})
        continue
      }
      const apart = Math.abs(want.expireAt - have.expireAt)
      if ((want.expireAt > 0) !== (have.expireAt > 0) || apart > options.ttlToleranceMs) {
        report({kind: 'ttl', key: want.key, detail: `expiry ${ttlText(want.expireAt)} in the file, ${ttlText(have.expireAt)} on the target`})
      }
    }
    checked += current.length
    options.onProgress?.(checked)
  }
  const stream = emptyReport(options.db, false)
  for (const file of options.files) {
    await streamRdbFile(file, stream, {
      key: async (record: KeyRecord, _ordinal: number, expired: boolean) => {
        if (expired) return
        if (keepNames) {
          fileKeys.add(keyId(record.key))
          if (fileKeys.size > KEY_NAMES_CAP) {
            keepNames = false
            fileKeys.clear()
          }
        }
        const entry = stream.files[stream.files.length - 1]
        batch.push({key: Buffer.from(record.key), typeByte: record.typeByte, valueBytes: Buffer.from(record.valueBytes), expireAt: record.expireAtMs ?? 0, flavor: entry.flavor})
        if (batch.length >= BATCH_KEYS) await flush()
      },
    })
  }
  await flush()
  const sizes = await Promise.all(target.masters().map((node) => node.dbsize()))
  const targetKeys = sizes.reduce((a, b) => a + b, 0)
  if (targetKeys > found) {
    if (keepNames) {
      for (const key of await keysNotIn(target, fileKeys)) report({kind: 'extra', key, detail: 'on the target, not in the file'})
    } else {
      counts.extra += targetKeys - found
    }
  }
  return {checked, targetKeys, mismatches, counts}
}

function ttlText(expireAt: number): string {
  return expireAt > 0 ? new Date(expireAt).toISOString() : 'none'
}

/** undefined when equal; else what differs. */
function compareValue(want: Pending, targetPayload: Buffer): {kind: MismatchKind; detail: string} | undefined {
  const theirs = splitDumpPayload(targetPayload)
  if (!theirs) return {kind: 'value', detail: 'the target\'s DUMP payload does not hold together'}
  if (theirs.typeByte === want.typeByte && theirs.valueBytes.equals(want.valueBytes)) return undefined
  const mine = decodeValue(want.typeByte, want.valueBytes, {flavor: want.flavor})
  const other = decodeValue(theirs.typeByte, theirs.valueBytes, {flavor: theirs.rdbVersion >= 80 ? 'valkey' : 'redis'})
  if (mine.type !== other.type) return {kind: 'type', detail: `${mine.type} in the file, ${other.type} on the target`}
  if (!sameValue(mine, other)) return {kind: 'value', detail: `${mine.type} values differ (file vs target)`}
  return undefined
}

async function keysNotIn(target: MigrationTarget, known: Set<string>): Promise<Buffer[]> {
  const extra: Buffer[] = []
  for (const master of target.masters()) {
    let cursor = '0'
    for (let round = 0; round < 1e9; round++) {
      const [next, keys] = await master.scanBuffer(cursor, 'COUNT', 1000)
      for (const key of keys) if (!known.has(keyId(key))) extra.push(key)
      cursor = next.toString()
      if (cursor === '0' || extra.length >= MISMATCHES_KEPT) break
    }
  }
  return extra
}
