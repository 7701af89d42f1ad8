// Moves a wave of slots between one source and one target together: the same safe protocol as
// SlotMover, step for step and in the same order for every slot, but each step is one pipeline
// for the whole wave, and the keys are moved by the source itself (source-script.ts), a batch per
// script call, several small slots per call. Redis rewrites nodes.conf once per event-loop turn,
// so a pipelined wave of SETSLOTs costs one rewrite instead of one per slot, and a wave of 64
// slots costs a handful of round trips instead of hundreds.
import type {Redis} from 'ioredis'
import type {ClusterNodeInfo} from '../targets/cluster-nodes.js'
import type {ClusterTarget} from '../targets/cluster.js'
import type {SlotMove} from './plan.js'
import {SlotMoveError, messageOf, type MoverOptions, type SlotMover} from './slot-mover.js'
import {groupSlots, parseMoveSlots, queueMoveSlots} from './source-script.js'

export interface WaveOptions extends MoverOptions {
  /** keys each slot held at preflight: packs small slots into one script call */
  expectedKeys?: Map<number, number>
  /** slots holding keys over the big-key limit (moved anyway): one MIGRATE per key batch from the client, never inside a script */
  bigKeySlots?: Set<number>
}

export interface WaveResult {
  /** slots moved and closed */
  done: number[]
  keys: number
  /** slots this wave could not take (already owned by the target, source gone): move them one by one */
  single: SlotMove[]
  /** SETSLOT NODE on the other masters, still in flight */
  broadcast: Promise<void>
}

type Reply = [Error | null, unknown]

async function pipelined(client: Redis, commands: Array<Array<string | number>>): Promise<Reply[]> {
  if (commands.length === 0) return []
  const pipeline = client.pipeline()
  for (const [name, ...args] of commands) pipeline.call(String(name), ...args)
  return ((await pipeline.exec()) ?? []) as Reply[]
}

/** `moves` must all share one source and one target. */
export async function moveWave(target: ClusterTarget, mover: SlotMover, options: WaveOptions, moves: SlotMove[], onKeys: (count: number) => void): Promise<WaveResult> {
  const {from, to} = moves[0]
  const source = target.byId(from)
  const destination = target.byId(to)
  if (!source || source.failing || !destination) return {done: [], keys: 0, single: moves, broadcast: Promise.resolve()}
  const src = target.client(source)
  const dst = target.client(destination)

  // 1. IMPORTING on the target
  const single: SlotMove[] = []
  const open: number[] = []
  const imported = await pipelined(dst, moves.map((move) => ['CLUSTER', 'SETSLOT', move.slot, 'IMPORTING', from]))
  imported.forEach(([error], i) => {
    if (!error) open.push(moves[i].slot)
    else if (/already the owner/i.test(error.message)) single.push(moves[i])
    else throw new SlotMoveError(moves[i].slot, `the target refused IMPORTING: ${error.message}`)
  })
  // 2. MIGRATING on the source
  const migrating = await pipelined(src, open.map((slot) => ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', to]))
  migrating.forEach(([error], i) => {
    if (error) throw new SlotMoveError(open[i], `the source refused MIGRATING: ${error.message}`)
  })

  // 3. keys: the source moves them itself (source-script.ts); slots with big keys, slots whose
  // MIGRATE failed in the script and every slot when scripts cannot run go through the client
  let keys = 0
  const count = (n: number) => {
    keys += n
    onKeys(n)
  }
  const byScript = mover.sourceScripts ? open.filter((slot) => !options.bigKeySlots?.has(slot)) : []
  const byClient = open.filter((slot) => !byScript.includes(slot))
  byClient.push(...(await drainByScript(src, mover, destination, byScript, options, count)))
  await drainFromClient(src, mover, destination, byClient, options, count)

  // 4. SETSLOT NODE: target first (the slot is never ownerless), then source, then the others
  const claimed = await pipelined(dst, open.map((slot) => ['CLUSTER', 'SETSLOT', slot, 'NODE', to]))
  claimed.forEach(([error], i) => {
    if (error) throw new SlotMoveError(open[i], `the target refused to take the slot: ${error.message}`)
  })
  const released = await pipelined(src, open.map((slot) => ['CLUSTER', 'SETSLOT', slot, 'NODE', to]))
  for (const [i, [error]] of released.entries()) {
    if (!error) continue
    const slot = open[i]
    if (/still hold keys/i.test(error.message)) {
      // a key slipped in after all (a script writing undeclared keys): move it, then hand over
      keys += await mover.drainKeys(slot, source, destination, onKeys)
      await src.call('CLUSTER', 'SETSLOT', slot, 'NODE', to).catch((retry) => {
        throw new SlotMoveError(slot, `the source refused to hand the slot over: ${messageOf(retry)}`)
      })
    } else if (!/only with masters/i.test(error.message)) {
      throw new SlotMoveError(slot, `the source refused to hand the slot over: ${error.message}`)
    }
  }
  // the other masters learn it by gossip anyway; telling them spares clients a redirect, and
  // nothing waits on it (the run awaits every broadcast before it reports)
  const others = target.masters().filter((node) => node.id !== from && node.id !== to)
  const broadcast = Promise.all(others.map((node) => pipelined(target.client(node), open.map((slot) => ['CLUSTER', 'SETSLOT', slot, 'NODE', to])).catch(() => undefined))).then(() => undefined)
  return {done: open, keys, single, broadcast}
}

/**
 * Empties `slots` with the source-side script, a pipeline of script calls per round, until every
 * slot reports "done". Returns the slots the client path must finish: those whose MIGRATE failed
 * inside the script, and all of them if the script cannot run here (an old Redis, EVAL not
 * allowed), in which case the mover stops trying scripts for the rest of the run.
 */
async function drainByScript(src: Redis, mover: SlotMover, destination: ClusterNodeInfo, slots: number[], options: WaveOptions, count: (n: number) => void): Promise<number[]> {
  const head = mover.migrateArgs(destination)
  const moved = new Map<number, number>()
  const expected = (slot: number) => {
    const planned = options.expectedKeys?.get(slot)
    return planned === undefined ? undefined : Math.max(0, planned - (moved.get(slot) ?? 0))
  }
  const toClient: number[] = []
  let pending = slots
  for (let round = 0; pending.length > 0; round++) {
    if (round > 1_000_000) throw new SlotMoveError(pending[0], 'the slot never empties (keys keep appearing on the source)')
    const groups = groupSlots(pending, expected, options.batch)
    const pipeline = src.pipeline()
    for (const group of groups) queueMoveSlots(pipeline, options.batch, head, group)
    const replies = ((await pipeline.exec()) ?? []) as Reply[]
    const next: number[] = []
    groups.forEach((group, g) => {
      const [error, reply] = replies[g] ?? [new Error('no reply')]
      if (error) {
        mover.sourceScripts = false
        toClient.push(...group)
        return
      }
      const reached = new Set<number>()
      for (const outcome of parseMoveSlots(reply)) {
        reached.add(outcome.slot)
        if (outcome.keys > 0) {
          moved.set(outcome.slot, (moved.get(outcome.slot) ?? 0) + outcome.keys)
          count(outcome.keys)
        }
        if (outcome.state === 'more') next.push(outcome.slot)
        else if (outcome.state !== 'done') toClient.push(outcome.slot)
      }
      for (const slot of group) if (!reached.has(slot)) next.push(slot)
    })
    pending = next
  }
  return toClient
}

/**
 * Empties `slots` from the client: GETKEYSINSLOT for every slot in one pipeline, one MIGRATE per
 * slot in the next, again for slots whose list was full. A slot whose list came back shorter than
 * the batch is empty afterwards: while it is MIGRATING the source creates no new keys in it (those
 * writes are sent on by ASK). BUSYKEY and the like go to the mover, which compares values.
 */
async function drainFromClient(src: Redis, mover: SlotMover, destination: ClusterNodeInfo, slots: number[], options: WaveOptions, count: (n: number) => void): Promise<void> {
  let pending = slots
  for (let round = 0; pending.length > 0; round++) {
    if (round > 1_000_000) throw new SlotMoveError(pending[0], 'the slot never empties (keys keep appearing on the source)')
    const lists = await pipelined(src, pending.map((slot) => ['CLUSTER', 'GETKEYSINSLOT', slot, options.batch]))
    const batches: Array<{slot: number; keys: string[]}> = []
    const full: number[] = []
    lists.forEach(([error, list], i) => {
      if (error) throw new SlotMoveError(pending[i], `GETKEYSINSLOT failed: ${error.message}`)
      const slotKeys = list as string[]
      if (slotKeys.length > 0) batches.push({slot: pending[i], keys: slotKeys})
      if (slotKeys.length >= options.batch) full.push(pending[i])
    })
    const replies = await pipelined(src, batches.map((batch) => ['MIGRATE', ...mover.migrateArgs(destination), 'KEYS', ...batch.keys]))
    for (const [i, [error]] of replies.entries()) {
      if (error && !/NOKEY/.test(error.message)) await mover.migrate(batches[i].slot, src, destination, batches[i].keys)
      count(batches[i].keys.length)
    }
    pending = full
  }
}
