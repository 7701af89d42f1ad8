// What reshard, rebalance and del-node do around a run of slot moves, once they have the list:
// look at the slots first (keys per slot, big keys) and describe the plan per node pair, refuse
// big keys unless allowed, open the journal (a new one, or the interrupted run's), then run the
// moves and name the node behind a failure. The commands only render and ask.
//
// The slots move by the server's own atomic slot migration when every node involved has it
// (atomic/method.ts), by MIGRATE otherwise. An atomic run needs no big-key sizing: the server
// streams each key's commands to the target from a forked snapshot and never blocks on one key as
// MIGRATE does, so the preflight only counts keys for it.
import {formatRanges, rangesOf} from '../targets/cluster-nodes.js'
import type {ClusterTarget} from '../targets/cluster.js'
import {UserError} from '../errors.js'
import {explainFailures} from './failure-cause.js'
import {Journal, markResumed, type JournalState} from './journal.js'
import {summarizeMoves, type SlotMove} from './plan.js'
import {preflight, type BigKey} from './preflight.js'
import {runMoves, type RunOptions, type RunResult} from './run.js'
import {nodeStats, readCounters} from './run-stats.js'
import {runAtomicMoves} from './atomic/atomic-run.js'
import {settleSources} from './atomic/end-state.js'
import {chooseMethod, type MethodChoice, type RequestedMethod} from './atomic/method.js'

/** One line of the plan: the slots moving from one master to another. */
export interface MovePlanRow {
  from: string
  to: string
  slots: number
  ranges: string
  keys: number
}

export interface PreparedMoves {
  rows: MovePlanRow[]
  bigKeys: BigKey[]
  totalKeys: number
  keysBySlot: Map<number, number>
  /** how long counting keys per slot and sizing them for big keys took */
  preflightSeconds: number
  method: MethodChoice
  /** what the big-key check did, in one sentence */
  bigKeyCheck: string
}

/**
 * Counts the keys of every planned slot (and sizes them when `bigKeyBytes` > 0) and groups the
 * moves per node pair. Nodes gone from the cluster are named as `journal` recorded them.
 */
export async function prepareMoves(target: ClusterTarget, moves: SlotMove[], bigKeyBytes: number, journal?: JournalState, requested: RequestedMethod = 'auto'): Promise<PreparedMoves> {
  const name = (id: string) => target.byId(id)?.address ?? journal?.plan.nodes[id] ?? id
  const started = process.hrtime.bigint()
  const method = await chooseMethod(target, moves, requested)
  const sizing = method.method === 'migrate' ? bigKeyBytes : 0
  const bigKeyCheck = method.method === 'atomic'
    ? 'no big-key sizing: atomic slot migration streams keys from a snapshot and never blocks on one key as MIGRATE does'
    : bigKeyBytes > 0 ? 'keys sized first: MIGRATE blocks both nodes while it copies a big key' : 'big-key check off (--big-key-limit 0)'
  const pre = await preflight(target, moves, sizing)
  const preflightSeconds = Number(process.hrtime.bigint() - started) / 1e9
  const rows = summarizeMoves(moves).map((group) => ({
    from: name(group.from),
    to: name(group.to),
    slots: group.slots.length,
    ranges: formatRanges(rangesOf(group.slots)),
    keys: group.slots.reduce((sum, slot) => sum + (pre.keysBySlot.get(slot) ?? 0), 0),
  }))
  return {rows, bigKeys: pre.bigKeys, totalKeys: pre.totalKeys, keysBySlot: pre.keysBySlot, preflightSeconds, method, bigKeyCheck}
}

/** MIGRATE blocks both nodes while it copies a big key: refused unless the user allows it. */
export function refuseBigKeys(prepared: PreparedMoves, limitText: string, allowed: boolean): void {
  const [largest] = prepared.bigKeys
  if (!largest || allowed) return
  throw new UserError(`${prepared.bigKeys.length} key(s) in these slots are over ${limitText} (largest: ${largest.key}, ${largest.bytes} bytes): pass --allow-big-keys to move them anyway, or raise --big-key-limit.`)
}

export interface MoveJournalRequest {
  operation: string
  /** the node the user named for the cluster */
  seed: string
  moves: SlotMove[]
  /** where to write a new journal (default: a new file in the journal folder) */
  path?: string
  /** the interrupted run being finished: its journal is continued */
  resume?: JournalState
  method?: MethodChoice
}

/** The journal this run writes to: the resumed run's, or a new one holding the plan. */
export function openMoveJournal(target: ClusterTarget, request: MoveJournalRequest): Journal {
  if (request.resume) {
    const journal = Journal.reopen(request.resume.path)
    markResumed(request.resume.path)
    return journal
  }
  const nodes = Object.fromEntries(target.allNodes().map((node) => [node.id, node.address]))
  try {
    return Journal.create({operation: request.operation, seed: request.seed, nodes, moves: request.moves,
      method: request.method?.method, native: request.method?.kind}, request.path)
  } catch (error) {
    throw new UserError(`Cannot write the journal ${request.path ?? ''}: ${(error as Error).message}; pick another path with --journal.`, {cause: error})
  }
}

export type MoveRunOptions = Omit<RunOptions, 'expectedKeys' | 'bigKeySlots'>

/**
 * Runs the moves the way `prepared.method` says; a failure caused by a node that died mid-move
 * names that node. An atomic run then waits (bounded) until each source is clean and says so.
 */
export async function moveSlots(target: ClusterTarget, moves: SlotMove[], journal: Journal, prepared: PreparedMoves, options: MoveRunOptions): Promise<RunResult> {
  const before = await readCounters(target, moves)
  const {native} = prepared.method
  const result: RunResult = native
    ? await runAtomicMoves(target, moves, journal, native, {expectedKeys: prepared.keysBySlot, signal: options.signal, onProgress: options.onProgress})
    : await runMoves(target, moves, journal, {...options, expectedKeys: prepared.keysBySlot, bigKeySlots: new Set(prepared.bigKeys.map((big) => big.slot))})
  result.method = prepared.method.method
  if (!native && result.failed.length > 0) result.failed = await explainFailures(target, moves, result.failed)
  const remaining = new Set(result.remaining)
  const done = new Set(moves.map((move) => move.slot).filter((slot) => !remaining.has(slot)))
  if (native) {
    const started = process.hrtime.bigint()
    result.endState = await settleSources(target, moves, done)
    result.endState.seconds = Number(process.hrtime.bigint() - started) / 1e9
  }
  result.nodes = nodeStats(target, moves, done, prepared.keysBySlot, before, await readCounters(target, moves))
  return result
}
