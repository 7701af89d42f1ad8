// The seam between twlab's slot moves and a server's own slot migration. Valkey 9.0 has CLUSTER
// MIGRATESLOTS (sent to the source, several ranges to several targets in one call, jobs listed by
// CLUSTER GETSLOTMIGRATIONS, cancelled by CLUSTER CANCELSLOTMIGRATIONS); Redis 8.4 has CLUSTER
// MIGRATION IMPORT|STATUS|CANCEL (sent to the target, one source per call). Both move every key
// of the slots and hand ownership over in one step, so the run around them only starts jobs,
// watches them and reads the end state: what differs per server is here, behind one interface.
import type {ClusterNodeInfo} from '../../targets/cluster-nodes.js'
import type {ClusterTarget} from '../../targets/cluster.js'

/** Slots going from one source to one target, as ranges. */
export interface RangeGroup {
  from: string
  to: string
  ranges: Array<[number, number]>
}

/** One migration job as the server reports it, on the node that drives it. */
export interface NativeJob {
  /** the server's own job name (Valkey: 40 hex characters) */
  name: string
  from: string
  to: string
  ranges: Array<[number, number]>
  /** the server's word for where the job is ("snapshotting", "success"...) */
  state: string
  message: string
  /** ended, one way or the other */
  finished: boolean
  succeeded: boolean
  /** 0 (just started) to 1 (done), estimated from the state */
  fraction: number
  /** epoch seconds when the server created it */
  createdAt: number
}

export interface NativeSlotMigration {
  /** how the plan names it: "CLUSTER MIGRATESLOTS" */
  readonly command: string
  /**
   * How the groups of a run are batched into server calls: Valkey takes every group of one source
   * in one call; Redis 8.4 would take every group of one target.
   */
  batches(groups: RangeGroup[]): RangeGroup[][]
  /** Starts one batch (one server call). Rejects with the server's refusal. */
  start(target: ClusterTarget, batch: RangeGroup[]): Promise<void>
  /** The node whose job list tells about `group` (Valkey: the source; Redis 8.4: the target). */
  reporter(target: ClusterTarget, group: RangeGroup): ClusterNodeInfo | undefined
  /** The jobs `node` knows about, finished ones included while the server keeps them. */
  jobs(target: ClusterTarget, node: ClusterNodeInfo): Promise<NativeJob[]>
  /** Cancels every job `node` drives; false when it had none running. */
  cancelAll(target: ClusterTarget, node: ClusterNodeInfo): Promise<boolean>
}

/** "0-99 200-200" -> [[0, 99], [200, 200]] (the form Valkey reports ranges in). */
export function parseRangeList(text: string): Array<[number, number]> {
  return text.trim().split(/[\s,]+/).filter(Boolean).map((part) => {
    const [start, end] = part.split('-').map(Number)
    return [start, end ?? start] as [number, number]
  })
}

/** The same ranges, in a comparable form. */
export function rangesKey(ranges: Array<[number, number]>): string {
  return [...ranges].sort((a, b) => a[0] - b[0]).map(([start, end]) => `${start}-${end}`).join(' ')
}

/** Whether a job is the one started for `group` (same ends, same ranges) no earlier than `since` (epoch s). */
export function jobMatches(job: NativeJob, group: RangeGroup, since = 0): boolean {
  return job.from === group.from && job.to === group.to && rangesKey(job.ranges) === rangesKey(group.ranges) && job.createdAt >= since
}
