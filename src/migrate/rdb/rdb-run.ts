// One run of an RDB restore, as `twlab migrate --from-rdb` drives it: the checkpoint (one position
// per file, "keys:offset"), the copy (rdb-copy.ts), the report of what the files held besides the
// keys restored, and the verification both ways (rdb-verify.ts). A checkpoint made for other
// files, or for a file that changed since, is not resumed: the run says so and starts over.
import {freshCheckpoint, loadCheckpoint, removeCheckpoint, saveCheckpoint, type CheckpointData} from '../checkpoint.js'
import {formatAddress} from '../../address.js'
import {UserError} from '../../errors.js'
import type {MigrationResult} from '../migration-run.js'
import type {MigrationProgress} from '../progress.js'
import type {MigrationTarget} from '../target/migration-target.js'
import type {ExistingKeyPolicy} from '../target/writer.js'
import {describeMismatch} from '../verify/verify.js'
import {targetRdb} from './payload-version.js'
import {parsePosition, restoreRdbFiles} from './rdb-copy.js'
import {emptyReport, fileIdentity, type RdbReport} from './rdb-stream.js'
import {verifyRdbRestore} from './rdb-verify.js'

export interface RdbRunOptions {
  files: string[]
  db: number
  onConflict: ExistingKeyPolicy
  loadFunctions: boolean
  checkpointPath: string
  resume: boolean
  verify: boolean
  ttlToleranceMs: number
  progress: MigrationProgress
  stopRequested: () => boolean
}

export type RdbMigrationResult = MigrationResult & {rdb: RdbReport}

const CHECKPOINT_INTERVAL_MS = 500
const PROGRESS_INTERVAL_MS = 200

export function rdbIdentities(files: string[]): string[] {
  return files.map(fileIdentity)
}

function openCheckpoint(options: RdbRunOptions, targetAddress: string): CheckpointData {
  const identities = rdbIdentities(options.files)
  if (!options.resume) return freshCheckpoint(identities, targetAddress, false)
  try {
    return loadCheckpoint(options.checkpointPath, identities, targetAddress)
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    options.progress.note(`The checkpoint ${options.checkpointPath} is not for these files as they are now (${error.message}): starting over.`)
    return freshCheckpoint(identities, targetAddress, false)
  }
}

export async function runRdbMigration(target: MigrationTarget, options: RdbRunOptions): Promise<RdbMigrationResult> {
  const started = Date.now()
  const targetAddress = formatAddress(target.address)
  const checkpoint = openCheckpoint(options, targetAddress)
  const resumedKeys = checkpoint.sources.reduce((sum, position) => sum + parsePosition(position).keysDone, 0)
  if (options.resume && resumedKeys > 0) options.progress.note(`Resuming: the files are read again from the start; the first ${resumedKeys} key(s) already restored are passed over.`)
  const rdb = await targetRdb(target.masters()[0])
  const report = emptyReport(options.db, options.loadFunctions)
  const stats = checkpoint.stats
  const scannedBefore = stats.scanned
  const result: RdbMigrationResult = {
    status: 'done', resumed: options.resume, online: false, stats, seconds: 0, copySeconds: 0, scannedThisRun: 0,
    keysPerSecond: 0, changesSeen: 0, lostChangeFeeds: [], rdb: report,
  }
  let lastSave = 0
  let phase = 'copy'
  let verified: number | undefined
  const save = (force = false) => {
    if (!force && Date.now() - lastSave < CHECKPOINT_INTERVAL_MS) return
    lastSave = Date.now()
    saveCheckpoint(options.checkpointPath, checkpoint)
  }
  options.progress.start(0)
  const ticker = setInterval(() => options.progress.update({done: verified ?? stats.scanned, bytes: stats.bytes, phase}), PROGRESS_INTERVAL_MS)
  ticker.unref()
  try {
    save(true)
    const copyStarted = Date.now()
    const outcome = await restoreRdbFiles(target, rdb, checkpoint, report, {
      files: options.files, onConflict: options.onConflict, loadFunctions: options.loadFunctions,
      stopRequested: options.stopRequested, onCommit: save,
    })
    save(true)
    result.copySeconds = (Date.now() - copyStarted) / 1000
    result.scannedThisRun = stats.scanned - scannedBefore
    result.keysPerSecond = Math.round(result.scannedThisRun / Math.max(result.copySeconds, 0.001))
    noteReport(report, options.progress)
    if (outcome === 'interrupted') {
      result.status = 'interrupted'
      result.checkpoint = options.checkpointPath
      return result
    }
    if (options.verify) {
      phase = 'verify'
      verified = 0
      const check = await verifyRdbRestore(target, {files: options.files, db: options.db, ttlToleranceMs: options.ttlToleranceMs, onProgress: (n) => (verified = n)})
      const mismatches = check.mismatches.map(describeMismatch)
      result.verify = {checked: check.checked, targetKeys: check.targetKeys, counts: check.counts, repaired: 0, inFlux: 0, mismatches}
      if (Object.values(check.counts).some((n) => n > 0)) result.status = 'mismatches'
    }
    removeCheckpoint(options.checkpointPath)
    return result
  } finally {
    clearInterval(ticker)
    options.progress.update({done: verified ?? stats.scanned, bytes: stats.bytes, phase})
    options.progress.stop()
    result.seconds = (Date.now() - started) / 1000
  }
}

/** What the files held that was not restored, said once the copy is over. */
function noteReport(report: RdbReport, progress: MigrationProgress): void {
  const versions = report.files.map((file) => `${file.file}: RDB ${file.version} (${file.flavor}), ${file.keys} key(s) in db ${report.db}`)
  progress.note(`Read ${versions.join('; ')}.`)
  if (report.expired > 0) progress.note(`${report.expired} key(s) had already expired: not restored.`)
  const skipped = Object.entries(report.skippedDbs)
  if (skipped.length > 0) progress.note(`Skipped other databases: ${skipped.map(([db, n]) => `db ${db} (${n} keys)`).join(', ')}; restore one with --db N.`)
  if (report.functions > 0) {
    progress.note(report.functionsLoaded
      ? `${report.functions} function librar${report.functions === 1 ? 'y was' : 'ies were'} loaded on every target master.`
      : `The files hold ${report.functions} function librar${report.functions === 1 ? 'y' : 'ies'}: not loaded (add --load-functions to load them).`)
  }
}

