// The checkpoint that makes a migration resumable: per source the SCAN cursor up to which every
// key is safely on the target, whether that source is finished, the keys changed (online mode)
// and not yet re-copied, and the counters so far. SCAN cursors are stateless on the server, so a
// new connection continues where the old one stopped; keys copied after the last save are simply
// copied again (RESTORE of an identical value is recognised as such). With replication capture,
// each source's replication id and the offset applied to the target instead: a resumed run asks
// the source to continue from there (PSYNC replid offset). Written atomically
// (temp file + rename) so a crash mid-write leaves the previous checkpoint intact.
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {UserError} from '../errors.js'
import {twlabHome} from '../lab/home.js'
import {emptyStats, type MigrationStats} from './stats.js'

export interface SourceCursor {
  address: string
  cursor: string
  done: boolean
}

/** Replication capture: how far one source's stream is on the target. */
export interface ReplicationPosition {
  /** the source's replication id (PSYNC continues only within it) */
  replid: string
  /** the stream offset up to which every command is on the target */
  offset: number
  /** the database the stream had SELECTed at that offset (-1: none yet) */
  db: number
  /** false while the snapshot is being loaded: a resumed run must take a new one */
  snapshotLoaded: boolean
  /** names this snapshot in the marks the target keeps of what it applied (changes/applied-marks.ts) */
  epoch?: string
}

export interface CheckpointData {
  version: 1
  target: string
  sources: SourceCursor[]
  /** keys changed on the sources and not yet re-copied, base64 */
  dirty: string[]
  /** keys left alone under --on-conflict skip, base64 */
  skipped?: string[]
  /** the copy was done with online mode on (changes were being followed) */
  online: boolean
  /** how changes were followed (absent in checkpoints written before replication capture) */
  capture?: 'replication' | 'notifications'
  /** replication capture: per source (same order), its position; null until its link is up */
  replication?: Array<ReplicationPosition | null>
  /** replication capture of a cluster source: the slots seen moving between its masters (changes/slot-motion.ts) */
  movedSlots?: number[]
  stats: MigrationStats
  startedAt: string
  savedAt: string
}

/**
 * The default checkpoint file for a given source list and target: $TWLAB_HOME/migrate/, so that
 * `--resume` finds it from any directory (the name is derived from the sources and the target).
 */
export function defaultCheckpointPath(sources: string[], target: string): string {
  const id = createHash('sha1').update(`${sources.join(',')}->${target}`).digest('hex').slice(0, 10)
  return join(twlabHome(), 'migrate', `migrate-${id}.json`)
}

export function freshCheckpoint(sources: string[], target: string, online: boolean): CheckpointData {
  const now = new Date().toISOString()
  return {
    version: 1, target, online, dirty: [], stats: emptyStats(), startedAt: now, savedAt: now,
    sources: sources.map((address) => ({address, cursor: '0', done: false})),
  }
}

export function checkpointExists(path: string): boolean {
  return existsSync(path)
}

export function loadCheckpoint(path: string, sources: string[], target: string): CheckpointData {
  let data: CheckpointData
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as CheckpointData
  } catch (error) {
    throw new UserError(`The checkpoint ${path} cannot be read (${(error as Error).message}): start over without --resume.`)
  }
  const same = data.version === 1 && data.target === target &&
    data.sources.length === sources.length && data.sources.every((s, i) => s.address === sources[i])
  if (!same) {
    throw new UserError(`The checkpoint ${path} is for another migration (${data.sources?.map((s) => s.address).join(',')} -> ${data.target}): give the same sources and target, or another --checkpoint.`)
  }
  data.stats = {...emptyStats(), ...data.stats}
  return data
}

export function saveCheckpoint(path: string, data: CheckpointData): void {
  data.savedAt = new Date().toISOString()
  mkdirSync(dirname(path), {recursive: true})
  const temp = `${path}.tmp-${process.pid}`
  writeFileSync(temp, JSON.stringify(data))
  renameSync(temp, path)
}

export function removeCheckpoint(path: string): void {
  rmSync(path, {force: true})
}
