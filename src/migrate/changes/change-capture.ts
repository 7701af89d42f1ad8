// How an online migration follows the changes made on its sources, behind one interface the run
// and the cut-over use whatever the means: by replication (twlab a replica of each source: the
// snapshot loaded from the RDB it sends, then its command stream applied; replication-capture.ts)
// or by keyspace notifications (every changed key copied again; keyspace-notifications.ts).
// Replication is the default where the sources allow it; a source that refuses PSYNC (a managed
// service, an ACL without it) makes the migration fall back to notifications (open-capture.ts).
import type {CheckpointData} from '../checkpoint.js'
import type {CopyContext} from '../copy/context.js'

export type CaptureMode = 'replication' | 'notifications'

/** What a capture says about itself at the end of a run (the JSON result carries it). */
export interface CaptureReport {
  mode: CaptureMode
  /** what it told the user on the way (resyncs, fallbacks) */
  notes: string[]
  /** replication: partial resyncs (+CONTINUE) and new snapshots (+FULLRESYNC) this run took */
  partialResyncs?: number
  fullResyncs?: number
  /** replication: commands the target refused (their keys were copied again instead) */
  refusedCommands?: number
  /** replication of a cluster source: slots seen moving between its masters, and those re-synced once settled */
  movedSlots?: number[]
  resyncedSlots?: number
}

export interface ChangeCapture {
  readonly mode: CaptureMode
  /** the capture loads the sources' data itself (copySnapshot), in place of the SCAN copy */
  readonly copiesSnapshot: boolean
  start(): Promise<void>
  /** replication: every source's snapshot on the target, then its stream applied; resolves early on Ctrl-C */
  copySnapshot(): Promise<void>
  /** sources whose changes may have been missed */
  readonly lost: Set<string>
  /** changes seen, and when the last one arrived */
  readonly events: number
  readonly lastChangeAt: number
  /** changes seen and not yet on the target */
  readonly pending: number
  /** how long the oldest pending change has waited, in ms */
  lagMs(): number
  /** the lag in the capture's own unit, for people: "12 keys pending" or "3,400 bytes of stream behind" */
  lagText(): string
  /** keys known changed from elsewhere (a resumed checkpoint) */
  add(keys: Buffer[]): void
  /** whether `key` changed lately and its change may not be on the target yet */
  isDirty(key: Buffer): boolean
  /** up to `limit` changed keys to copy again (none for replication: it applies changes itself); throws once the capture failed */
  take(limit: number): Buffer[]
  /** copies keys again in step with the capture (verify's repairs); absent: the caller copies them */
  recopy?(keys: Buffer[]): Promise<void>
  /** resolves once every change made on the sources before the call is known (notifications) or applied (replication) */
  barrier(): Promise<void>
  /** the pending keys, for the checkpoint */
  snapshot(): Buffer[]
  report(): CaptureReport
  /** `finished`: the migration is done (nothing will resume it), what was kept for a resume can go */
  stop(finished?: boolean): Promise<void>
}

export interface CaptureContext {
  ctx: CopyContext
  checkpoint: CheckpointData
  note: (message: string) => void
  stopRequested: () => boolean
  /** saves the checkpoint (force: now, else throttled) */
  save: (force?: boolean) => void
}

