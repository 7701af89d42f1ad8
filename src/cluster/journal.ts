// The reshard journal: a JSON-lines file whose first line is the plan and each further line one
// slot's state change ("open" before the first SETSLOT, "done" once every master agrees) and,
// at the end, how the run ended. Appending one short line per change keeps it cheap for
// thousands of slots and leaves a readable record after a crash. Resume and `cluster fix` read
// it back to know where each open slot was headed; the cluster itself remains the truth about
// what has moved (a slot is done when its owner is the planned target and nobody holds it open).
// A run by atomic slot migration also writes one line per server job (started, then how it
// ended), so a run killed while jobs were still running knows which ones to wait for or cancel.
import {appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import type {SlotMove} from './plan.js'

export type SlotState = 'open' | 'done' | 'failed'
export type RunEnd = 'complete' | 'interrupted' | 'failed'
/** a server migration job: started, or how it ended */
export type JobState = 'started' | 'success' | 'failed' | 'cancelled'

export interface JournalJob {
  from: string
  to: string
  ranges: Array<[number, number]>
  state: JobState
  /** epoch seconds when it was started (the server's jobs are matched from then on) */
  startedAt: number
  message?: string
}

export interface JournalPlan {
  type: 'plan'
  version: 1
  /** what asked for it: "reshard", "rebalance", "del-node" */
  operation: string
  createdAt: string
  seed: string
  /** node id -> host:port when planned, to name nodes in messages */
  nodes: Record<string, string>
  moves: SlotMove[]
  /** how the slots move: "migrate" (absent in older journals) or "atomic" */
  method?: 'migrate' | 'atomic'
  /** the server's native migration driving an atomic run ("valkey-migrateslots") */
  native?: string
}

export interface JournalState {
  path: string
  plan: JournalPlan
  slots: Map<number, {state: SlotState; keys?: number; error?: string}>
  /** server jobs of an atomic run, by from>to:ranges, last state */
  jobs: Map<string, JournalJob>
  end?: RunEnd
}

/** The key of a job in JournalState.jobs. */
export function jobKey(job: {from: string; to: string; ranges: Array<[number, number]>}): string {
  return `${job.from}>${job.to}:${job.ranges.map(([start, end]) => `${start}-${end}`).join(' ')}`
}

/** Where journals are kept: $TWLAB_HOME/reshard (default ~/.twlab/reshard). */
export function journalDir(): string {
  const home = process.env.TWLAB_HOME && process.env.TWLAB_HOME.length > 0 ? process.env.TWLAB_HOME : join(homedir(), '.twlab')
  return join(home, 'reshard')
}

export class Journal {
  private constructor(readonly path: string) {}

  /** Starts a new journal with the plan (the file must not exist). */
  static create(plan: Omit<JournalPlan, 'type' | 'version' | 'createdAt'>, path?: string): Journal {
    const file = path ?? join(journalDir(), `${plan.operation}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`)
    mkdirSync(join(file, '..'), {recursive: true})
    const line: JournalPlan = {type: 'plan', version: 1, createdAt: new Date().toISOString(), ...plan}
    writeFileSync(file, `${JSON.stringify(line)}\n`, {flag: 'wx'})
    return new Journal(file)
  }

  /** Appends to an existing journal (resume), first ending a line torn by a crash. */
  static reopen(path: string): Journal {
    const text = readFileSync(path, 'utf8')
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(path, '\n')
    return new Journal(path)
  }

  slot(slot: number, state: SlotState, details: {keys?: number; error?: string} = {}): void {
    appendFileSync(this.path, `${JSON.stringify({type: 'slot', slot, state, ...details})}\n`)
  }

  /** Several slots at once, one write. */
  slots(slots: number[], state: SlotState): void {
    if (slots.length === 0) return
    appendFileSync(this.path, slots.map((slot) => `${JSON.stringify({type: 'slot', slot, state})}\n`).join(''))
  }

  /** A server migration job started, or how it ended. */
  job(job: JournalJob): void {
    appendFileSync(this.path, `${JSON.stringify({type: 'job', ...job})}\n`)
  }

  end(status: RunEnd, details: Record<string, unknown> = {}): void {
    appendFileSync(this.path, `${JSON.stringify({type: 'end', status, at: new Date().toISOString(), ...details})}\n`)
  }
}

/** Reads a journal back. A torn last line (crash mid-write) is ignored. */
export function readReshardJournal(path: string): JournalState {
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '')
  const entries: Array<Record<string, unknown>> = []
  for (const line of lines) {
    try {
      entries.push(JSON.parse(line) as Record<string, unknown>)
    } catch {
      // only the last line can be torn; anything unparsable is skipped
    }
  }
  const plan = entries[0] as unknown as JournalPlan | undefined
  if (!plan || plan.type !== 'plan' || plan.version !== 1) throw new Error(`${path} is not a twlab reshard journal`)
  const state: JournalState = {path, plan, slots: new Map(), jobs: new Map()}
  for (const entry of entries.slice(1)) {
    if (entry.type === 'slot') {
      state.slots.set(entry.slot as number, {state: entry.state as SlotState, keys: entry.keys as number | undefined, error: entry.error as string | undefined})
      // a later run on the same journal reopens it
      state.end = undefined
    } else if (entry.type === 'job') {
      const {type: _type, ...job} = entry as unknown as JournalJob & {type: string}
      state.jobs.set(jobKey(job), job)
    } else if (entry.type === 'end') {
      state.end = entry.status as RunEnd
    } else if (entry.type === 'resume') {
      state.end = undefined
    }
  }
  return state
}

/** Marks that a run picked the journal up again. */
export function markResumed(path: string): void {
  appendFileSync(path, `${JSON.stringify({type: 'resume', at: new Date().toISOString(), pid: process.pid})}\n`)
}

/** Moves of the plan not yet recorded as done. */
export function unfinishedMoves(state: JournalState): SlotMove[] {
  return state.plan.moves.filter((move) => state.slots.get(move.slot)?.state !== 'done')
}

/**
 * Journals in the journal folder that did not complete and that name at least one node of
 * this cluster, newest first.
 */
export function openJournalsFor(nodeIds: Set<string>, dir = journalDir()): JournalState[] {
  if (!existsSync(dir)) return []
  const found: JournalState[] = []
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.jsonl')) continue
    let state: JournalState
    try {
      state = readReshardJournal(join(dir, name))
    } catch {
      continue
    }
    if (state.end === 'complete') continue
    if (!Object.keys(state.plan.nodes).some((id) => nodeIds.has(id))) continue
    found.push(state)
  }
  return found.sort((a, b) => b.plan.createdAt.localeCompare(a.plan.createdAt))
}
