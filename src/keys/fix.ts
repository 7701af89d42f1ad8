// `keys fix`: moves each misplaced key to the node it belongs on, losing nothing if stopped at
// any point. Per key: read it from where it sits (DUMP + PTTL), write it to its owner (RESTORE
// with the remaining TTL), check the owner holds it, and only then delete the stray copy, and
// only if it still holds the bytes that were copied (a compare-and-delete script), so a write
// that reached the stray in between is never thrown away.
//
// Cluster: a node answers MOVED for keys in slots it does not own, even its own strays. For
// the time it reads and deletes them it marks the slot IMPORTING from the owner (a local state
// nobody else sees, which makes it serve ASKING commands for that slot) and closes it again
// (SETSLOT STABLE) right after.
import type {Redis} from 'ioredis'
import {ClusterTarget} from '../targets/cluster.js'
import type {Target} from '../targets/types.js'
import {UserError} from '../errors.js'
import {keySlot} from '../hashing/index.js'
import {keyToJson} from '../key-text.js'
import {findMisplaced, type Misplaced} from './misplaced.js'

/**
 * What to do when the owner already holds a key of the same name:
 * - skip: leave both as they are (the stray stays and is reported)
 * - replace: the stray's value overwrites the owner's
 * - keep-newer: the copy touched most recently wins (smaller OBJECT IDLETIME, in seconds; a tie
 *   goes to the owner); when the owner's is newer, the stray is deleted. Needs an LRU maxmemory-policy (the default); under LFU
 *   policies Redis has no idle time and the key is skipped.
 */
export const CONFLICT_POLICIES = ['skip', 'replace', 'keep-newer'] as const
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number]

export type FixAction =
  | 'move'       // copied to the owner, stray deleted
  | 'replace'    // owner had the key; overwritten by the stray's value, stray deleted
  | 'discard'    // owner had a newer copy (keep-newer); stray deleted
  | 'skip-conflict'
  | 'skip-vanished'   // gone from the stray node before it could be read
  | 'skip-changed'    // the stray changed while being moved; the owner has the copy, the stray stays
  | 'skip-unverified' // the owner did not hold the key afterwards; the stray stays
  | 'skip-no-idletime'
  | 'compare'         // cluster dry run: the owner has the key; keep-newer decides when moving
  | 'error'

export interface FixedKey {
  key: string
  keyBase64?: string
  node: string
  owner: string
  action: FixAction
  /** the remaining TTL in ms that went with it (-1: none) */
  ttlMs?: number
  error?: string
}

export interface FixReport {
  target: string
  kind: Target['kind']
  dryRun: boolean
  onConflict: ConflictPolicy
  /** keys found misplaced */
  found: number
  /** per action, how many keys (in a dry run: how many would) */
  counts: Record<FixAction, number>
  /** the first `limit` keys with what happened to each */
  keys: FixedKey[]
  truncated: boolean
  seconds: number
}

export interface FixOptions {
  dryRun?: boolean
  onConflict?: ConflictPolicy
  limit?: number
  count?: number
  onProgress?: (handled: number) => void
}

const COMPARE_AND_DELETE = `if redis.call('DUMP', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return -1`

function emptyCounts(): Record<FixAction, number> {
  return {'move': 0, 'replace': 0, 'discard': 0, 'skip-conflict': 0, 'skip-vanished': 0, 'skip-changed': 0,
    'skip-unverified': 0, 'skip-no-idletime': 0, 'compare': 0, 'error': 0}
}

export async function fixMisplaced(target: Target, options: FixOptions = {}): Promise<FixReport> {
  const policy = options.onConflict ?? 'skip'
  const limit = options.limit ?? 100
  const counts = emptyCounts()
  const listed: FixedKey[] = []
  let found = 0
  if (target instanceof ClusterTarget) await closeLeftoverImports(target, Boolean(options.dryRun))
  const started = process.hrtime.bigint()
  await findMisplaced(target, {
    count: options.count,
    onMisplaced: async (batch) => {
      found += batch.length
      const outcomes = await moveBatch(target, batch, policy, Boolean(options.dryRun))
      for (const outcome of outcomes) {
        counts[outcome.action]++
        if (listed.length < limit) listed.push(outcome)
      }
      options.onProgress?.(found)
    },
  })
  return {
    target: target.description,
    kind: target.kind,
    dryRun: Boolean(options.dryRun),
    onConflict: policy,
    found,
    counts,
    keys: listed,
    truncated: found > listed.length,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  }
}

/**
 * fix borrows the IMPORTING state of a slot on the node holding its strays. A slot only
 * importing, from its own owner, with nobody migrating it, is what an interrupted fix leaves
 * (no reshard moves keys before the source is MIGRATING): it is closed before starting. A slot
 * some node is migrating belongs to a reshard, which must be finished first.
 */
async function closeLeftoverImports(target: ClusterTarget, dryRun: boolean): Promise<void> {
  const open = target.openSlots()
  const busy = open.filter((slot) => slot.migrating.length > 0 || slot.importing.some((entry) => entry.from !== slot.owner))
  if (busy.length > 0) {
    const slots = busy.slice(0, 5).map((slot) => slot.slot).join(', ')
    throw new UserError(`${busy.length === 1 ? 'Slot' : 'Slots'} ${slots}${busy.length > 5 ? ', ...' : ''} ${busy.length === 1 ? 'is' : 'are'} being migrated: finish or close the migration (\`twlab cluster fix\`) before moving keys.`)
  }
  if (dryRun) return
  for (const slot of open) {
    for (const {node} of slot.importing) {
      const holder = target.allNodes().find((candidate) => candidate.id === node)
      if (holder) await target.client(holder).call('CLUSTER', 'SETSLOT', slot.slot, 'STABLE')
    }
  }
  if (open.length > 0) await target.refresh()
}

interface StrayCopy {
  entry: Misplaced
  /** false in a cluster dry run: reading a stray means opening its slot, which a dry run must not */
  read: boolean
  exists: boolean
  /** the DUMP; only read when moving (a plan must not count as an access to the key) */
  payload: Buffer | null
  ttlMs: number
  idleSeconds: number | null
}

/** One node's misplaced keys, found together: read them all, then write per owner. */
async function moveBatch(target: Target, batch: Misplaced[], policy: ConflictPolicy, dryRun: boolean): Promise<FixedKey[]> {
  const node = batch[0].node
  const source = target.client(node)
  const slots = target.kind === 'cluster' ? [...new Set(batch.map((entry) => keySlot(entry.key)))] : []
  if (!dryRun) await openSlots(source, slots, batch)
  try {
    const copies = dryRun && target.kind === 'cluster'
      ? batch.map((entry) => ({entry, read: false, exists: true, payload: null, ttlMs: -1, idleSeconds: null}))
      : await readStrays(source, batch, {withIdle: policy === 'keep-newer', asking: target.kind === 'cluster', dump: !dryRun})
    const byOwner = new Map<string, StrayCopy[]>()
    for (const copy of copies) {
      const group = byOwner.get(copy.entry.owner.id) ?? []
      group.push(copy)
      byOwner.set(copy.entry.owner.id, group)
    }
    const outcomes: FixedKey[] = []
    for (const group of byOwner.values()) {
      outcomes.push(...await moveToOwner(target, source, group, policy, dryRun))
    }
    return outcomes
  } finally {
    if (!dryRun) await closeSlots(source, slots)
  }
}

async function openSlots(source: Redis, slots: number[], batch: Misplaced[]): Promise<void> {
  for (const slot of slots) {
    const owner = batch.find((entry) => keySlot(entry.key) === slot)!.owner
    await source.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', owner.id)
  }
}

async function closeSlots(source: Redis, slots: number[]): Promise<void> {
  for (const slot of slots) await source.call('CLUSTER', 'SETSLOT', slot, 'STABLE').catch(() => undefined)
}

/**
 * Reads each stray: idle time first (for keep-newer), then, when moving, its DUMP (an access,
 * which resets the idle time) and PTTL. A plan uses EXISTS instead of DUMP: both EXISTS and PTTL
 * leave the idle time alone, so planning does not decide the keep-newer comparison.
 */
async function readStrays(source: Redis, batch: Misplaced[], how: {withIdle: boolean; asking: boolean; dump: boolean}): Promise<StrayCopy[]> {
  const pipeline = source.pipeline()
  for (const {key} of batch) {
    if (how.withIdle) pipeline.call('OBJECT', 'IDLETIME', key)
    if (how.asking) pipeline.call('ASKING')
    if (how.dump) pipeline.callBuffer('DUMP', key)
    else pipeline.exists(key)
    if (how.asking) pipeline.call('ASKING')
    pipeline.pttl(key)
  }
  const results = (await pipeline.exec()) ?? []
  let at = 0
  return batch.map((entry) => {
    let idleSeconds: number | null = null
    if (how.withIdle) {
      const [error, value] = results[at++]
      idleSeconds = error ? null : Number(value)
    }
    if (how.asking) at++
    const [readError, read] = results[at++]
    if (how.asking) at++
    const [ttlError, ttl] = results[at++]
    if (readError) throw readError
    if (ttlError) throw ttlError
    const payload = how.dump && Buffer.isBuffer(read) ? read : null
    const exists = how.dump ? payload !== null : Number(read) === 1
    return {entry, read: true, exists: exists && Number(ttl) !== -2, payload, ttlMs: Number(ttl), idleSeconds}
  })
}

async function moveToOwner(target: Target, source: Redis, copies: StrayCopy[], policy: ConflictPolicy, dryRun: boolean): Promise<FixedKey[]> {
  const owner = copies[0].entry.owner
  const client = target.client(owner)
  const outcomes: FixedKey[] = []
  const describe = (copy: StrayCopy, action: FixAction, error?: string): FixedKey => ({
    ...keyToJson(copy.entry.key),
    node: copy.entry.node.name,
    owner: owner.name,
    action,
    ...(copy.read && copy.exists ? {ttlMs: copy.ttlMs} : {}),
    ...(error ? {error} : {}),
  })

  const present = copies.filter((copy) => copy.exists)
  for (const copy of copies) if (!present.includes(copy)) outcomes.push(describe(copy, 'skip-vanished'))
  if (present.length === 0) return outcomes

  const ownerState = await readOwner(client, present, {withIdle: policy === 'keep-newer', dump: !dryRun})
  const writes: Array<{copy: StrayCopy; action: 'move' | 'replace'}> = []
  const discards: StrayCopy[] = []
  // already copied by an earlier run that stopped before deleting the stray
  const copied: StrayCopy[] = []
  present.forEach((copy, index) => {
    const state = ownerState[index]
    if (!state.exists) writes.push({copy, action: 'move'})
    else if (copy.payload && state.payload?.equals(copy.payload)) copied.push(copy)
    else if (policy === 'replace') writes.push({copy, action: 'replace'})
    else if (policy === 'skip') outcomes.push(describe(copy, 'skip-conflict'))
    else if (!copy.read) outcomes.push(describe(copy, 'compare'))
    else if (copy.idleSeconds === null || state.idleSeconds === null) outcomes.push(describe(copy, 'skip-no-idletime'))
    else if (copy.idleSeconds < state.idleSeconds) writes.push({copy, action: 'replace'})
    else discards.push(copy)
  })

  if (dryRun) {
    for (const copy of copied) outcomes.push(describe(copy, 'move'))
    for (const {copy, action} of writes) outcomes.push(describe(copy, action))
    for (const copy of discards) outcomes.push(describe(copy, 'discard'))
    return outcomes
  }

  // copy to the owner, then make sure it holds the key. (Not by comparing DUMPs: a set or hash
  // in a hash table dumps in table order, which a restored copy need not share.)
  const restore = client.pipeline()
  for (const {copy, action} of writes) {
    const ttl = copy.ttlMs > 0 ? copy.ttlMs : 0
    if (action === 'replace') restore.call('RESTORE', copy.entry.key, ttl, copy.payload!, 'REPLACE')
    else restore.call('RESTORE', copy.entry.key, ttl, copy.payload!)
    restore.exists(copy.entry.key)
  }
  const restored = writes.length > 0 ? (await restore.exec()) ?? [] : []
  const verified: Array<{copy: StrayCopy; action: FixAction}> = copied.map((copy) => ({copy, action: 'move'}))
  writes.forEach(({copy, action}, index) => {
    const [restoreError] = restored[index * 2]
    const [, held] = restored[index * 2 + 1]
    if (restoreError) {
      // BUSYKEY: someone wrote the key to its owner since we looked; that write wins
      if (/BUSYKEY/.test(restoreError.message)) outcomes.push(describe(copy, 'skip-conflict'))
      else outcomes.push(describe(copy, 'error', restoreError.message))
    } else if (Number(held) === 1) {
      verified.push({copy, action})
    } else {
      outcomes.push(describe(copy, 'skip-unverified'))
    }
  })
  // keep-newer, owner newer: the owner's copy must still be there before the stray goes
  if (discards.length > 0) {
    const check = await readOwner(client, discards, {withIdle: false, dump: false})
    discards.forEach((copy, index) => {
      if (check[index].exists) verified.push({copy, action: 'discard'})
      else outcomes.push(describe(copy, 'skip-unverified'))
    })
  }

  // delete each stray only if it still holds the bytes we copied
  if (verified.length > 0) {
    const asking = target.kind === 'cluster'
    const remove = source.pipeline()
    for (const {copy} of verified) {
      if (asking) remove.call('ASKING')
      remove.call('EVAL', COMPARE_AND_DELETE, 1, copy.entry.key, copy.payload!)
    }
    const removed = (await remove.exec()) ?? []
    verified.forEach(({copy, action}, index) => {
      const [error, value] = removed[asking ? index * 2 + 1 : index]
      if (error) outcomes.push(describe(copy, 'error', `copied to ${owner.name} but the stray was not deleted: ${error.message}`))
      else if (Number(value) === 1) outcomes.push(describe(copy, action))
      else outcomes.push(describe(copy, 'skip-changed'))
    })
  }
  return outcomes
}

interface OwnerCopy {
  exists: boolean
  /** the owner's DUMP, when moving (to spot a copy an interrupted run already made) */
  payload: Buffer | null
  idleSeconds: number | null
}

/** What the owner holds under each key; idle time first, as DUMP resets it. */
async function readOwner(client: Redis, copies: StrayCopy[], how: {withIdle: boolean; dump: boolean}): Promise<OwnerCopy[]> {
  const pipeline = client.pipeline()
  for (const copy of copies) {
    if (how.withIdle) pipeline.call('OBJECT', 'IDLETIME', copy.entry.key)
    if (how.dump) pipeline.callBuffer('DUMP', copy.entry.key)
    else pipeline.exists(copy.entry.key)
  }
  const results = (await pipeline.exec()) ?? []
  const step = how.withIdle ? 2 : 1
  return copies.map((_copy, index) => {
    const [error, read] = results[index * step + step - 1]
    if (error) throw error
    let idleSeconds: number | null = null
    if (how.withIdle) {
      const [idleError, idle] = results[index * step]
      idleSeconds = idleError ? null : Number(idle)
    }
    const payload = how.dump && Buffer.isBuffer(read) ? read : null
    return {exists: how.dump ? payload !== null : Number(read) === 1, payload, idleSeconds}
  })
}
