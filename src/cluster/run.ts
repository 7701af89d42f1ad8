// Runs a list of slot moves in waves: slots of one source/target pair opened, emptied and closed
// together (see wave.ts), several waves in flight, interleaved across pairs so every node stays
// busy. Each slot's state is journaled before its wave opens and after it closes. Stops starting
// new waves on the first failure or when the signal aborts (Ctrl-C); waves in flight finish, so
// an interrupted run leaves nothing open.
import type {ClusterTarget} from '../targets/cluster.js'
import type {Journal} from './journal.js'
import type {SlotMove} from './plan.js'
import {PairClock, type NodeStats, type PairStats} from './run-stats.js'
import {SlotMover, messageOf} from './slot-mover.js'
import {moveWave, type WaveOptions} from './wave.js'

export interface RunOptions extends WaveOptions {
  /** slots in flight at once (spread over up to WAVES_IN_FLIGHT waves) */
  parallel: number
  signal?: AbortSignal
  onProgress?: (progress: RunProgress) => void
}

export interface RunProgress {
  slotsDone: number
  slotsTotal: number
  keysMoved: number
  /** 0 to 1 where the run can tell better than slots done (atomic jobs) */
  fraction?: number
  etaSeconds?: number
  /** what the server jobs are doing ("1 snapshotting, 2 success") */
  phase?: string
}

/** What the sources hold of the moved slots once the run is over, in sentences. */
export interface EndState {
  /** every source holds no key of the slots it gave away (or holds the new owner's copy as its replica) */
  clean: boolean
  notes: string[]
  /** how long the run waited for it after the last slot was owned */
  seconds?: number
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
  /** "atomic" (the server's slot migration) or "migrate" */
  method?: 'atomic' | 'migrate'
  pairs?: PairStats[]
  nodes?: NodeStats[]
  endState?: EndState
}

const WAVES_IN_FLIGHT = 4

export async function runMoves(target: ClusterTarget, moves: SlotMove[], journal: Journal, options: RunOptions): Promise<RunResult> {
  const mover = new SlotMover(target, options)
  const clock = new PairClock((id) => target.byId(id)?.address ?? id.slice(0, 8))
  const waveSize = Math.max(1, Math.ceil(options.parallel / WAVES_IN_FLIGHT))
  const waves = planWaves(moves, waveSize)
  const started = process.hrtime.bigint()
  const progress: RunProgress = {slotsDone: 0, slotsTotal: moves.length, keysMoved: 0}
  const failed: RunResult['failed'] = []
  const done = new Set<number>()
  const onKeys = (count: number) => {
    progress.keysMoved += count
    options.onProgress?.(progress)
  }
  const finished = (slots: number[]) => {
    for (const slot of slots) done.add(slot)
    progress.slotsDone += slots.length
    options.onProgress?.(progress)
  }
  let halted = false
  let next = 0
  const broadcasts: Array<Promise<void>> = []

  const worker = async () => {
    while (!halted && !options.signal?.aborted && next < waves.length) {
      const wave = waves[next++]
      journal.slots(wave.map((move) => move.slot), 'open')
      clock.started(wave[0].from, wave[0].to)
      try {
        const result = await moveWave(target, mover, options, wave, onKeys)
        broadcasts.push(result.broadcast)
        journal.slots(result.done, 'done')
        finished(result.done)
        clock.finished(wave[0].from, wave[0].to, result.done.length, result.keys)
        // slots the wave could not take (half-closed by an earlier run, source gone) go one by one
        for (const move of result.single) {
          const keys = await mover.move(move, onKeys)
          journal.slot(move.slot, 'done', {keys})
          finished([move.slot])
          clock.finished(move.from, move.to, 1, keys)
        }
      } catch (error) {
        halted = true
        const message = messageOf(error)
        const slot = (error as {slot?: number}).slot ?? wave[0].slot
        failed.push({slot, error: message})
        journal.slot(slot, 'failed', {error: message})
      }
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(WAVES_IN_FLIGHT, waves.length))}, worker))
  await Promise.all(broadcasts)

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
    pairs: clock.stats(),
  }
  journal.end(status, {slotsMoved: result.slotsMoved, keysMoved: result.keysMoved})
  return result
}

/** Waves of up to `size` slots sharing a source and a target, round-robin across pairs. */
export function planWaves(moves: SlotMove[], size: number): SlotMove[][] {
  const perPair = new Map<string, SlotMove[][]>()
  for (const move of moves) {
    const key = `${move.from}>${move.to}`
    let waves = perPair.get(key)
    if (!waves) perPair.set(key, (waves = []))
    const last = waves.at(-1)
    if (last && last.length < size) last.push(move)
    else waves.push([move])
  }
  const lists = [...perPair.values()]
  const out: SlotMove[][] = []
  const longest = Math.max(0, ...lists.map((list) => list.length))
  for (let i = 0; i < longest; i++) for (const list of lists) if (i < list.length) out.push(list[i])
  return out
}

/** Round-robin over (from, to) pairs, one slot at a time. */
export function interleave(moves: SlotMove[]): SlotMove[] {
  return planWaves(moves, 1).map((wave) => wave[0])
}
