// Runs a list of slot moves with the server's own atomic slot migration: the moves grouped into
// contiguous ranges per source and target, one server call per batch (Valkey: per source, every
// target of that source in the same call), every batch started at once, then the jobs watched on
// the node that reports them until each ends. The server moves the keys and hands ownership over
// in one step, so a job either moved all its slots or none: the journal records each job and,
// when it succeeds, its slots as done. Ctrl-C cancels the jobs still running (a job already
// granted its failover may still succeed; the run waits for each to end). A node that stops
// answering fails its jobs with one sentence naming it.
import {rangesOf, formatRanges} from '../../targets/cluster-nodes.js'
import type {ClusterTarget} from '../../targets/cluster.js'
import type {Journal} from '../journal.js'
import type {SlotMove} from '../plan.js'
import type {RunProgress, RunResult} from '../run.js'
import {PairClock} from '../run-stats.js'
import {jobMatches, type NativeJob, type NativeSlotMigration, type RangeGroup} from './native-migration.js'

export interface AtomicRunOptions {
  expectedKeys: Map<number, number>
  signal?: AbortSignal
  onProgress?: (progress: RunProgress) => void
  /** between two looks at a job list (ms) */
  pollMs?: number
  /** a reporter that does not answer for this long fails its jobs (ms) */
  unreachableMs?: number
  /** after a cancel, how long to wait for the jobs to end (ms) */
  cancelWaitMs?: number
}

interface Watched {
  group: RangeGroup
  slots: number[]
  keys: number
  job?: NativeJob
  ended?: {succeeded: boolean; message: string}
}

/** Moves grouped by (from, to), each group's slots as contiguous ranges. */
export function rangeGroups(moves: SlotMove[]): RangeGroup[] {
  const byPair = new Map<string, {from: string; to: string; slots: number[]}>()
  for (const move of moves) {
    const key = `${move.from}>${move.to}`
    const pair = byPair.get(key) ?? {from: move.from, to: move.to, slots: []}
    pair.slots.push(move.slot)
    byPair.set(key, pair)
  }
  return [...byPair.values()].map((pair) => ({from: pair.from, to: pair.to, ranges: rangesOf(pair.slots)}))
}

export async function runAtomicMoves(target: ClusterTarget, moves: SlotMove[], journal: Journal, native: NativeSlotMigration, options: AtomicRunOptions): Promise<RunResult & {pairs: ReturnType<PairClock['stats']>}> {
  const started = process.hrtime.bigint()
  const clock = new PairClock((id) => target.byId(id)?.address ?? id.slice(0, 8))
  const watched = rangeGroups(moves).map((group): Watched => {
    const slots = group.ranges.flatMap(([start, end]) => Array.from({length: end - start + 1}, (_, i) => start + i))
    return {group, slots, keys: slots.reduce((sum, slot) => sum + (options.expectedKeys.get(slot) ?? 0), 0)}
  })
  const progress: RunProgress = {slotsDone: 0, slotsTotal: moves.length, keysMoved: 0}
  const report = () => {
    const total = watched.reduce((sum, w) => sum + Math.max(1, w.keys), 0)
    const done = watched.reduce((sum, w) => sum + Math.max(1, w.keys) * (w.ended ? 1 : w.job?.fraction ?? 0), 0)
    const fraction = total > 0 ? done / total : 0
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9
    options.onProgress?.({...progress, fraction, etaSeconds: fraction > 0.02 ? (elapsed * (1 - fraction)) / fraction : undefined,
      phase: describePhase(watched)})
  }
  journal.slots(moves.map((move) => move.slot), 'open')

  const batches = native.batches(watched.map((w) => w.group))
  await Promise.all(batches.map(async (batch) => {
    const mine = watched.filter((w) => batch.includes(w.group))
    const since = Math.floor(Date.now() / 1000) - 1
    for (const w of mine) {
      clock.started(w.group.from, w.group.to)
      journal.job({...w.group, state: 'started', startedAt: since})
    }
    try {
      await native.start(target, batch)
    } catch (error) {
      for (const w of mine) w.ended = {succeeded: false, message: `${native.command} was refused: ${(error as Error).message}`}
      return
    }
    await watchBatch(target, native, mine, since, options, report)
  }))

  const failed: RunResult['failed'] = []
  const done = new Set<number>()
  for (const w of watched) {
    const state = w.ended?.succeeded ? 'success' : /cancel/i.test(w.job?.state ?? '') ? 'cancelled' : 'failed'
    journal.job({...w.group, state, startedAt: 0, message: w.ended?.message})
    if (w.ended?.succeeded) {
      journal.slots(w.slots, 'done')
      for (const slot of w.slots) done.add(slot)
      clock.finished(w.group.from, w.group.to, w.slots.length, w.keys)
    } else {
      const source = target.byId(w.group.from)?.address ?? w.group.from.slice(0, 8)
      failed.push({slot: w.slots[0], error: `slot ${w.slots[0]}: ${w.ended?.message ?? 'the job did not end'} (slots ${formatRanges(w.group.ranges)} stay on ${source})`})
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const keysMoved = watched.filter((w) => w.ended?.succeeded).reduce((sum, w) => sum + w.keys, 0)
  const interrupted = options.signal?.aborted && failed.every((f) => /cancel/i.test(f.error))
  const status = failed.length === 0 ? 'complete' : interrupted ? 'interrupted' : 'failed'
  journal.end(status, {slotsMoved: done.size, keysMoved})
  return {
    status, slotsMoved: done.size, slotsPlanned: moves.length, keysMoved, seconds,
    keysPerSecond: seconds > 0 ? Math.round(keysMoved / seconds) : 0,
    failed: status === 'interrupted' ? [] : failed,
    remaining: moves.filter((move) => !done.has(move.slot)).map((move) => move.slot),
    pairs: clock.stats(),
  }
}

/**
 * Looks at the reporting node's job list until every job of the batch has ended: cancelling them
 * once on abort, failing them when the node stops answering for `unreachableMs`.
 */
async function watchBatch(target: ClusterTarget, native: NativeSlotMigration, mine: Watched[], since: number, options: AtomicRunOptions, report: () => void): Promise<void> {
  const reporter = native.reporter(target, mine[0].group)
  const pollMs = options.pollMs ?? 10
  const unreachableMs = options.unreachableMs ?? 3000
  let lastAnswer = Date.now()
  let cancelledAt: number | undefined
  for (let look = 0; look < 10_000_000 && mine.some((w) => !w.ended); look++) {
    if (options.signal?.aborted && cancelledAt === undefined && reporter) {
      cancelledAt = Date.now()
      await native.cancelAll(target, reporter).catch(() => false)
    }
    let jobs: NativeJob[] | undefined
    try {
      jobs = reporter ? await native.jobs(target, reporter) : undefined
      lastAnswer = Date.now()
    } catch {
      jobs = undefined
    }
    const silentFor = Date.now() - lastAnswer
    if (!jobs && (!reporter || silentFor >= unreachableMs)) {
      const name = reporter?.address ?? mine[0].group.from.slice(0, 8)
      for (const w of mine.filter((w) => !w.ended)) w.ended = {succeeded: false, message: `the source ${name} stopped answering during ${native.command} (state ${w.job?.state ?? 'unknown'}): wait until it is back or a replica has taken over`}
      break
    }
    for (const w of mine.filter((w) => !w.ended)) {
      const job = jobs?.find((candidate) => jobMatches(candidate, w.group, since))
      if (!job) continue
      w.job = job
      if (job.finished) w.ended = {succeeded: job.succeeded, message: job.message || job.state}
    }
    if (cancelledAt !== undefined && Date.now() - cancelledAt > (options.cancelWaitMs ?? 30_000)) {
      for (const w of mine.filter((w) => !w.ended)) w.ended = {succeeded: false, message: `cancelled, but the job was still "${w.job?.state}" after the wait`}
    }
    report()
    if (mine.some((w) => !w.ended)) await new Promise((resolve) => setTimeout(resolve, Math.min(100, pollMs * (1 + Math.floor(look / 50)))))
  }
}

function describePhase(watched: Watched[]): string {
  const counts = new Map<string, number>()
  for (const w of watched) {
    const state = w.ended ? (w.ended.succeeded ? 'success' : 'failed') : w.job?.state ?? 'starting'
    counts.set(state, (counts.get(state) ?? 0) + 1)
  }
  return [...counts].map(([state, count]) => `${count} ${state}`).join(', ')
}
