// RDB files restored straight into a cluster, no server started: each key of the chosen database
// goes as RESTORE key expireAt payload ABSTTL, its payload built from the value's own bytes in the
// file (restorePayload), so nothing is decoded or re-encoded on the way, but for a type the target
// predates (rebuilt as an older type: payload-version.ts). Writes go in batches, one
// script call per owning master (target-batch.ts), a few batches in flight while the file is read
// on: the reader is pulled only as fast as the target takes keys, so memory stays bounded whatever
// the file size. Keys already on the target meet BUSYKEY: the same payload is "identical", another
// value follows --on-conflict. The checkpoint keeps, per file, how many keys of the database are
// on the target and the byte offset after the last of them: a resumed run reads the file again
// from the start and passes over those keys (a file that changed since starts over).
import {keyText} from '../../key-text.js'
import type {KeyRecord, FunctionRecord} from '../../protocol/rdb/index.js'
import {restorePayload} from '../../protocol/rdb/index.js'
import {UserError} from '../../errors.js'
import type {CheckpointData, SourceCursor} from '../checkpoint.js'
import {remember, type MigrationStats} from '../stats.js'
import type {MigrationTarget} from '../target/migration-target.js'
import {indexRecords, type RecordPage} from '../copy/record-pack.js'
import {perKeyOnTarget, restoreOnTarget, restorePacked, type RestoreItem} from '../target/target-batch.js'
import {ConflictError, type ExistingKeyPolicy} from '../target/writer.js'
import {restoreForm, type TargetRdb} from './payload-version.js'
import {streamRdbFile, type RdbReport} from './rdb-stream.js'

/** keys per RESTORE batch, and batches being written while the file is read on */
const BATCH_KEYS = 500
const BATCH_BYTES = 8 * 1024 * 1024
const BATCHES_IN_FLIGHT = 4

export interface RdbCopyOptions {
  files: string[]
  onConflict: ExistingKeyPolicy
  loadFunctions: boolean
  stopRequested: () => boolean
  /** called as keys commit; the caller saves the checkpoint (throttled unless forced) */
  onCommit: (force?: boolean) => void
}

interface Batch {
  items: RestoreItem[]
  bytes: number
  /** the file position once this batch is on the target: keys of the db done, offset after the last */
  keysDone: number
  offset: number
}

/** Restores every file in turn; `checkpoint.sources[i]` is file i's position ("keys:offset"). */
export async function restoreRdbFiles(target: MigrationTarget, rdb: TargetRdb, checkpoint: CheckpointData,
  report: RdbReport, options: RdbCopyOptions): Promise<'done' | 'interrupted'> {
  const stats = checkpoint.stats
  for (const [i, file] of options.files.entries()) {
    const position = checkpoint.sources[i]
    if (position.done) continue
    const outcome = await restoreOneFile(file, position, target, rdb, stats, report, options)
    if (outcome === 'interrupted') return outcome
  }
  return 'done'
}

export function parsePosition(position: SourceCursor): {keysDone: number; offset: number} {
  const [keys, offset] = position.cursor.split(':').map(Number)
  return {keysDone: Number.isFinite(keys) ? keys : 0, offset: Number.isFinite(offset) ? offset : 0}
}

async function restoreOneFile(file: string, position: SourceCursor, target: MigrationTarget, rdb: TargetRdb,
  stats: MigrationStats, report: RdbReport, options: RdbCopyOptions): Promise<'done' | 'interrupted'> {
  const {keysDone} = parsePosition(position)
  const inFlight: Array<{batch: Batch; work: Promise<void>}> = []
  let current: Batch = {items: [], bytes: 0, keysDone, offset: 0}
  let fileVersion = 0
  const commitOldest = async () => {
    const oldest = inFlight.shift() as {batch: Batch; work: Promise<void>}
    await oldest.work
    position.cursor = `${oldest.batch.keysDone}:${oldest.batch.offset}`
    options.onCommit()
  }
  const send = async () => {
    if (current.items.length === 0) return
    const batch = current
    current = {items: [], bytes: 0, keysDone: batch.keysDone, offset: batch.offset}
    const work = writeBatch(target, batch.items, options.onConflict, stats)
    work.catch(() => {})
    inFlight.push({batch, work})
    while (inFlight.length >= BATCHES_IN_FLIGHT) await commitOldest()
  }
  let stopped = false
  try {
    await streamRdbFile(file, report, {
      key: async (record: KeyRecord, ordinal: number, expired: boolean) => {
        if (stopped) return
        if (ordinal < keysDone) return // on the target since an earlier run
        if (!fileVersion) fileVersion = report.files[report.files.length - 1].version
        stats.scanned++
        current.keysDone = ordinal + 1
        current.offset = record.offset + record.valueBytes.length + 1
        if (expired) return
        const form = restoreForm(rdb, fileVersion, record.typeByte, record.valueBytes, record.key)
        const payload = restorePayload(form.typeByte, form.valueBytes, form.version)
        current.items.push({key: Buffer.from(record.key), expireAt: record.expireAtMs ?? 0, payload})
        current.bytes += payload.length
        if (current.items.length >= BATCH_KEYS || current.bytes >= BATCH_BYTES) await send()
        if (options.stopRequested()) stopped = true
      },
      function: (record: FunctionRecord) => (options.loadFunctions ? loadFunction(target, record) : undefined),
    })
    if (!stopped) await send()
    while (inFlight.length > 0) await commitOldest()
  } finally {
    await Promise.allSettled(inFlight.map((entry) => entry.work))
  }
  if (stopped) return 'interrupted'
  position.done = true
  options.onCommit(true)
  return 'done'
}

/** A batch packed as the bulk copy packs a SCAN page (record-pack.ts): one argument per master. */
function packBatch(items: RestoreItem[]): RecordPage {
  const parts: Buffer[] = []
  for (const item of items) {
    const expiry = Buffer.from(String(item.expireAt))
    const header = Buffer.allocUnsafe(9)
    header.writeUInt32BE(item.key.length, 0)
    header.writeUInt32BE(item.payload.length, 4)
    header[8] = expiry.length
    parts.push(header, item.key, expiry, item.payload)
  }
  return indexRecords(Buffer.concat(parts))
}

/**
 * RESTORE a batch, packed, one script call per owning master; keys that call could not place (a
 * slot that moved, a node failing over) go again one by one. BUSYKEY answers are compared (same
 * payload: identical) and settled by policy.
 */
async function writeBatch(target: MigrationTarget, items: RestoreItem[], onConflict: ExistingKeyPolicy, stats: MigrationStats): Promise<void> {
  const replace = onConflict === 'replace'
  const failed = await restorePacked(target.client, packBatch(items), items.map((_, i) => i), replace)
  const again = [...failed].filter(([, error]) => !/^BUSYKEY/.test(error.message)).map(([i]) => i)
  const errors: Array<Error | null> = items.map((_, i) => failed.get(i) ?? null)
  const retried = await restoreOnTarget(target.client, again.map((i) => items[i]), replace)
  again.forEach((i, j) => (errors[i] = retried[j]))
  const busy: RestoreItem[] = []
  for (const [i, error] of errors.entries()) {
    if (!error) {
      stats.copied++
      stats.bytes += items[i].payload.length
    } else if (/BUSYKEY/.test(error.message)) busy.push(items[i])
    else throw new UserError(`The target refused key ${keyText(items[i].key)}: ${error.message}.`, {cause: error})
  }
  if (busy.length === 0) return
  const existing = await perKeyOnTarget(target.client, busy.map((item) => item.key), 'DUMP', (key) => [key])
  const conflicts: string[] = []
  for (const [j, item] of busy.entries()) {
    const [error, payload] = existing[j]
    if (error) throw error
    if (payload && (payload as Buffer).equals(item.payload)) stats.identical++
    else if (onConflict === 'fail') conflicts.push(keyText(item.key))
    else {
      stats.conflictsSkipped++
      remember(stats.examples.conflicts, keyText(item.key))
    }
  }
  if (conflicts.length > 0) throw new ConflictError(conflicts)
}

/** --load-functions: FUNCTION LOAD REPLACE on every master (functions are not slotted). */
async function loadFunction(target: MigrationTarget, record: FunctionRecord): Promise<void> {
  for (const master of target.masters()) {
    try {
      await master.call('FUNCTION', 'LOAD', 'REPLACE', record.code)
    } catch (error) {
      const name = /name=(\S+)/.exec(record.code.toString('utf8', 0, 200))?.[1] ?? '(unnamed)'
      throw new UserError(`Function library ${name} could not be loaded on ${master.options.host}:${master.options.port}: ${(error as Error).message}.`, {cause: error})
    }
  }
}
