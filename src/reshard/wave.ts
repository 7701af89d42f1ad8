// Moves a wave of slots between one source and one target together: the same safe protocol as
// SlotMover, step for step and in the same order for every slot, but each step is one pipeline
// for the whole wave and MIGRATE batches mix keys of several slots. Redis rewrites nodes.conf
// once per event-loop turn, so a pipelined wave of SETSLOTs costs one rewrite instead of one
// per slot, and a wave of 16 slots costs a handful of round trips instead of a hundred.
import type {Redis} from 'ioredis'
import type {ClusterTarget} from '../targets/cluster.js'
import type {SlotMove} from './plan.js'
import {SlotMoveError, messageOf, type MoverOptions, type SlotMover} from './slot-mover.js'

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
export async function moveWave(target: ClusterTarget, mover: SlotMover, options: MoverOptions, moves: SlotMove[], onKeys: (count: number) => void): Promise<WaveResult> {
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
  // 2. MIGRATING on the source, and the first GETKEYSINSLOT of every slot right behind it on the
  // same connection (so the lists are read after the slots stopped taking new keys)
  const afterOpen = await pipelined(src, [
    ...open.map((slot) => ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', to]),
    ...open.map((slot) => ['CLUSTER', 'GETKEYSINSLOT', slot, options.batch]),
  ])
  afterOpen.slice(0, open.length).forEach(([error], i) => {
    if (error) throw new SlotMoveError(open[i], `the source refused MIGRATING: ${error.message}`)
  })

  // 3. keys: one MIGRATE per slot (MIGRATE refuses keys of several slots), all pipelined on the
  // source connection, then GETKEYSINSLOT again only for slots whose list was full. A slot whose
  // list came back shorter than the batch is empty afterwards: while it is MIGRATING the source
  // creates no new keys in it (those writes are sent on by ASK).
  let keys = 0
  let pending = open
  let lists = afterOpen.slice(open.length)
  for (let round = 0; pending.length > 0; round++) {
    if (round > 1_000_000) throw new SlotMoveError(pending[0], 'the slot never empties (keys keep appearing on the source)')
    if (round > 0) lists = await pipelined(src, pending.map((slot) => ['CLUSTER', 'GETKEYSINSLOT', slot, options.batch]))
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
      // BUSYKEY and the like: the single-batch path compares values and decides
      if (error && !/NOKEY/.test(error.message)) await mover.migrate(batches[i].slot, src, destination, batches[i].keys)
      keys += batches[i].keys.length
      onKeys(batches[i].keys.length)
    }
    pending = full
  }

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
