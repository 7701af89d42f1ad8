// Runs a list of slot moves: several slots in flight at once (interleaved across source/target
// pairs so every node stays busy), each slot's state written to the journal before it opens and
// after it closes. Stops starting new slots on the first failure or when the signal aborts (Ctrl-C);
// slots already in flight are finished, so an interrupted run leaves nothing open.
import type {ClusterTarget} from '../targets/cluster.js'
import type {Journal} from './journal.js'
import type {SlotMove} from './plan.js'
import {SlotMover, messageOf, type MoverOptions} from './slot-mover.js'

export interface RunOptions extends MoverOptions {
  /** slots in flight at once */
  parallel: number
  signal?: AbortSignal
  onProgress?: (progress: RunProgress) => void
}

export interface RunProgress {
  slotsDone: number
  slotsTotal: number
  keysMoved: number
}

export interface RunResult {
  status: 'complete' | 'interrupted' | 'failed'
  slotsMoved: number
  slotsPlanned: number
  keysMoved: number
  seconds: number
  keysPerSecond: number
  failed: Array<{slot: number; error: string}>
  /** slots of the plan not moved (failed, or never started after a stop) */
  remaining: number[]
}

export async function runMoves(target: ClusterTarget, moves: SlotMove[], journal: Journal, options: RunOptions): Promise<RunResult> {
  const mover = new SlotMover(target, options)
  const queue = interleave(moves)
  const started = process.hrtime.bigint()
  const progress: RunProgress = {slotsDone: 0, slotsTotal: moves.length, keysMoved: 0}
  const failed: RunResult['failed'] = []
  const done = new Set<number>()
  let halted = false
  let next = 0

  const worker = async () => {
    while (!halted && !options.signal?.aborted && next < queue.length) {
      const move = queue[next++]
      journal.slot(move.slot, 'open')
      try {
        const keys = await mover.move(move, (count) => {
          progress.keysMoved += count
          options.onProgress?.(progress)
        })
        journal.slot(move.slot, 'done', {keys})
        done.add(move.slot)
        progress.slotsDone++
        options.onProgress?.(progress)
      } catch (error) {
        halted = true
        const message = messageOf(error)
        failed.push({slot: move.slot, error: message})
        journal.slot(move.slot, 'failed', {error: message})
      }
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(options.parallel, queue.length))}, worker))

  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const status = failed.length > 0 ? 'failed' : done.size === moves.length ? 'complete' : 'interrupted'
  const result: RunResult = {
    status,
    slotsMoved: done.size,
    slotsPlanned: moves.length,
    keysMoved: progress.keysMoved,
    seconds,
    keysPerSecond: seconds > 0 ? Math.round(progress.keysMoved / seconds) : 0,
    failed,
    remaining: moves.filter((move) => !done.has(move.slot)).map((move) => move.slot),
  }
  journal.end(status, {slotsMoved: result.slotsMoved, keysMoved: result.keysMoved})
  return result
}

/** Round-robin over (from, to) pairs so parallel workers spread over different nodes. */
export function interleave(moves: SlotMove[]): SlotMove[] {
  const groups = new Map<string, SlotMove[]>()
  for (const move of moves) {
    const key = `${move.from}>${move.to}`
    const group = groups.get(key)
    if (group) group.push(move)
    else groups.set(key, [move])
  }
  const lists = [...groups.values()]
  const out: SlotMove[] = []
  for (let i = 0; out.length < moves.length; i++) for (const list of lists) if (i < list.length) out.push(list[i])
  return out
}
