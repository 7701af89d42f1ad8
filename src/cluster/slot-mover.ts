// Moves one slot with the safe protocol: IMPORTING on the target, MIGRATING on the source, keys
// copied with MIGRATE ... KEYS in batches until GETKEYSINSLOT comes back empty, then SETSLOT NODE
// on the target first (so the slot is never ownerless if the source dies), the source next, and
// every other master last. Clients keep working throughout: the source answers ASK for keys it
// no longer has, and each MIGRATE batch is atomic. Every step is idempotent, so a move that was
// cut short is finished by running it again.
import type {Redis} from 'ioredis'
import type {ClusterNodeInfo} from '../targets/cluster-nodes.js'
import type {ClusterTarget} from '../targets/cluster.js'
import type {SlotMove} from './plan.js'

export interface MoverOptions {
  /** keys per MIGRATE */
  batch: number
  /** MIGRATE timeout: how long the source waits on the target for one batch, in ms */
  timeoutMs: number
  /** overwrite keys that already exist on the target */
  replace: boolean
}

export const DEFAULT_MOVER_OPTIONS: MoverOptions = {batch: 500, timeoutMs: 60_000, replace: false}

export class SlotMoveError extends Error {
  constructor(readonly slot: number, message: string, options?: {cause?: unknown}) {
    super(`slot ${slot}: ${message}`, options)
  }
}

export class SlotMover {
  /**
   * Whether sources may run GETKEYSINSLOT + MIGRATE in a script (turned off when one cannot).
   * Never with a password: MIGRATE's AUTH argument would be a script argument, which SLOWLOG
   * and MONITOR show in clear, where they hide it for MIGRATE itself.
   */
  sourceScripts: boolean

  constructor(private readonly target: ClusterTarget, private readonly options: MoverOptions = DEFAULT_MOVER_OPTIONS) {
    this.sourceScripts = target.auth.password === undefined
  }

  /** Moves (or finishes moving) one slot; `onKeys` hears each batch as it lands. Returns the keys moved. */
  async move(move: SlotMove, onKeys: (count: number) => void = () => {}): Promise<number> {
    const destination = this.node(move.to, move.slot)
    const dst = this.target.client(destination)
    const source = this.target.byId(move.from)
    if (!source || source.failing) {
      // The source is gone (killed, forgotten). Only a slot the target already owns can be
      // closed without it; anything else needs its keys, so `cluster fix` must decide.
      if (this.target.ownerOfSlot(move.slot)?.id !== move.to) throw new SlotMoveError(move.slot, `the source ${move.from} is down or gone`)
      await this.closeOthers(move, [move.to])
      return 0
    }
    const src = this.target.client(source)

    const alreadyOwned = await this.open(move, src, dst)
    let moved = 0
    if (alreadyOwned) {
      // The target took the slot over already (a run cut short after its SETSLOT NODE): only
      // keys left behind on the source, if it is still up, and the other nodes' view remain.
      if (await reachable(src)) moved = await this.migrateAll(move.slot, src, destination, onKeys)
    } else {
      moved = await this.migrateAll(move.slot, src, destination, onKeys)
    }
    await this.close(move, src, dst)
    return moved
  }

  /** Copies every key of `slot` that `from` holds to `to` (used by `cluster fix` to gather strays). */
  async drainKeys(slot: number, from: ClusterNodeInfo, to: ClusterNodeInfo, onKeys: (count: number) => void = () => {}): Promise<number> {
    return this.migrateAll(slot, this.target.client(from), to, onKeys)
  }

  private node(id: string, slot: number): ClusterNodeInfo {
    const node = this.target.byId(id)
    if (!node) throw new SlotMoveError(slot, `node ${id} is not part of the cluster any more`)
    return node
  }

  /** Marks the slot importing on the target, then migrating on the source. True when the target owns it already. */
  private async open(move: SlotMove, src: Redis, dst: Redis): Promise<boolean> {
    try {
      await dst.call('CLUSTER', 'SETSLOT', move.slot, 'IMPORTING', move.from)
    } catch (error) {
      if (/already the owner/i.test(messageOf(error))) return true
      throw new SlotMoveError(move.slot, `the target refused IMPORTING: ${messageOf(error)}`, {cause: error})
    }
    try {
      await src.call('CLUSTER', 'SETSLOT', move.slot, 'MIGRATING', move.to)
    } catch (error) {
      throw new SlotMoveError(move.slot, `the source refused MIGRATING: ${messageOf(error)}`, {cause: error})
    }
    return false
  }

  /**
   * GETKEYSINSLOT + MIGRATE until the slot is empty on the source. The next GETKEYSINSLOT is sent
   * right behind each MIGRATE on the same connection, so it sees the slot after that batch left
   * without waiting a round trip.
   */
  private async migrateAll(slot: number, src: Redis, destination: ClusterNodeInfo, onKeys: (count: number) => void): Promise<number> {
    const {batch} = this.options
    let moved = 0
    let keys = (await src.call('CLUSTER', 'GETKEYSINSLOT', slot, batch)) as string[]
    for (let round = 0; keys.length > 0; round++) {
      if (round > 10_000_000) throw new SlotMoveError(slot, 'the slot never empties (keys keep appearing on the source)')
      const [migrated, next] = await Promise.allSettled([
        this.migrate(slot, src, destination, keys),
        src.call('CLUSTER', 'GETKEYSINSLOT', slot, batch) as Promise<string[]>,
      ])
      if (migrated.status === 'rejected') throw migrated.reason
      if (next.status === 'rejected') throw new SlotMoveError(slot, `GETKEYSINSLOT failed: ${messageOf(next.reason)}`, {cause: next.reason})
      moved += keys.length
      onKeys(keys.length)
      keys = next.value
    }
    return moved
  }

  /** MIGRATE's arguments up to (not including) KEYS. */
  migrateArgs(destination: ClusterNodeInfo, replace = this.options.replace): Array<string | number> {
    const args: Array<string | number> = [destination.host, destination.port, '', 0, this.options.timeoutMs]
    if (replace) args.push('REPLACE')
    const {password, username} = this.target.auth
    if (password !== undefined) args.push(...(username ? ['AUTH2', username, password] : ['AUTH', password]))
    return args
  }

  /** One MIGRATE of `keys` (any slots, all open towards `destination`); BUSYKEY is resolved as described below. */
  async migrate(slot: number, src: Redis, destination: ClusterNodeInfo, keys: string[], replace = this.options.replace): Promise<void> {
    const args = this.migrateArgs(destination, replace)
    try {
      await src.call('MIGRATE', ...args, 'KEYS', ...keys)
    } catch (error) {
      const message = messageOf(error)
      if (!replace && /BUSYKEY/.test(message)) {
        // The same key exists on both sides (a half-done earlier batch). Overwrite only when
        // the values are identical, so nothing that differs is silently lost.
        const differing = await this.differingKeys(src, this.target.client(destination), keys)
        if (differing.length === 0) return this.migrate(slot, src, destination, keys, true)
        throw new SlotMoveError(slot, `${differing.length} key(s) exist on both nodes with different values (${differing.slice(0, 5).join(', ')}); move them with --replace to keep the source's value`)
      }
      throw new SlotMoveError(slot, `MIGRATE to ${destination.address} failed: ${message}`, {cause: error})
    }
  }

  /** Keys whose serialized values differ between the two nodes (missing on either side: ignored). */
  private async differingKeys(src: Redis, dst: Redis, keys: string[]): Promise<string[]> {
    const dump = async (client: Redis) => {
      const pipeline = client.pipeline()
      // ASKING lets the importing target answer for the slot
      if (client === dst) pipeline.call('ASKING')
      for (const key of keys) pipeline.dumpBuffer(key)
      const results = (await pipeline.exec()) ?? []
      return results.slice(client === dst ? 1 : 0).map(([, value]) => value as Buffer | null)
    }
    const [left, right] = await Promise.all([dump(src), dump(dst)])
    return keys.filter((_, i) => left[i] && right[i] && !left[i]!.equals(right[i]!))
  }

  /** SETSLOT NODE: target, then source, then every other master (their failures only slow gossip). */
  private async close(move: SlotMove, src: Redis, dst: Redis): Promise<void> {
    try {
      await dst.call('CLUSTER', 'SETSLOT', move.slot, 'NODE', move.to)
    } catch (error) {
      throw new SlotMoveError(move.slot, `the target refused to take the slot: ${messageOf(error)}`, {cause: error})
    }
    try {
      await src.call('CLUSTER', 'SETSLOT', move.slot, 'NODE', move.to)
    } catch (error) {
      const message = messageOf(error)
      // A source that became a replica (failover) or went away has nothing left to close.
      if (!/only with masters|Connection|ECONNREFUSED|closed|Stream isn't writeable|max retries/i.test(message)) {
        throw new SlotMoveError(move.slot, `the source refused to hand the slot over: ${message}`, {cause: error})
      }
    }
    await this.closeOthers(move, [move.from, move.to])
  }

  private async closeOthers(move: SlotMove, except: string[]): Promise<void> {
    const others = this.target.masters().filter((node) => !except.includes(node.id))
    await Promise.all(others.map((node) => this.target.client(node).call('CLUSTER', 'SETSLOT', move.slot, 'NODE', move.to).catch(() => undefined)))
  }
}

async function reachable(client: Redis): Promise<boolean> {
  try {
    await client.ping()
    return true
  } catch {
    return false
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
