// Which way a run moves its slots: the server's own atomic slot migration when every node
// involved has one twlab drives, MIGRATE (the safe protocol of wave.ts) otherwise, and why, in
// words the plan shows. The version comes from each node's INFO server (Valkey reports its own
// in valkey_version); src/servers/traits.ts says which versions migrate slots natively.
import type {ClusterTarget} from '../../targets/cluster.js'
import {UserError} from '../../errors.js'
import {describeVersion, traitsOf, versionFromInfo, type AtomicSlotMigration, type ServerTraits} from '../../servers/traits.js'
import type {SlotMove} from '../plan.js'
import type {NativeSlotMigration} from './native-migration.js'
import {ValkeyMigrateSlots} from './valkey-migrateslots.js'

export type MoveMethod = 'atomic' | 'migrate'
export type RequestedMethod = MoveMethod | 'auto'
export const MOVE_METHODS: RequestedMethod[] = ['auto', 'atomic', 'migrate']

export interface MethodChoice {
  method: MoveMethod
  /** one sentence: why this method */
  reason: string
  native?: NativeSlotMigration
  /** the native kind, recorded in the journal */
  kind?: AtomicSlotMigration
}

/** The native migrations twlab drives, by kind (Redis 8.4's would join here, tested on Redis 8.4). */
const DRIVERS: Partial<Record<AtomicSlotMigration, () => NativeSlotMigration>> = {
  'valkey-migrateslots': () => new ValkeyMigrateSlots(),
}

/** The driver of a native migration kind recorded in a journal, if twlab drives it. */
export function nativeDriver(kind: string | undefined): NativeSlotMigration | undefined {
  const make = kind ? DRIVERS[kind as AtomicSlotMigration] : undefined
  return make?.()
}

/** Reads every involved node's version and picks the method (`requested` "atomic" refuses when impossible). */
export async function chooseMethod(target: ClusterTarget, moves: SlotMove[], requested: RequestedMethod): Promise<MethodChoice> {
  if (requested === 'migrate') return {method: 'migrate', reason: 'MIGRATE, as asked (--method migrate)'}
  const traits = await traitsOfNodes(target, [...new Set(moves.flatMap((move) => [move.from, move.to]))])
  const lacking = traits.filter(({traits: t}) => !t?.atomicSlotMigration || !DRIVERS[t.atomicSlotMigration])
  const kinds = new Set(traits.map(({traits: t}) => t?.atomicSlotMigration))
  if (lacking.length === 0 && kinds.size === 1) {
    const [first] = traits
    const native = DRIVERS[first.traits!.atomicSlotMigration!]!()
    const versions = [...new Set(traits.map(({traits: t}) => describeVersion(t!)))].join(', ')
    return {method: 'atomic', native, kind: first.traits!.atomicSlotMigration, reason: `atomic slot migration (${native.command}): every node involved runs ${versions}`}
  }
  const why = describeLack(lacking.length > 0 ? lacking : traits)
  if (requested === 'atomic') throw new UserError(`--method atomic needs atomic slot migration on every node involved, and ${why}: use --method migrate (or auto).`)
  return {method: 'migrate', reason: `MIGRATE, because ${why}`}
}

async function traitsOfNodes(target: ClusterTarget, ids: string[]): Promise<Array<{address: string; traits?: ServerTraits}>> {
  return Promise.all(ids.map(async (id) => {
    const node = target.byId(id)
    if (!node) return {address: id.slice(0, 8)}
    const info = await target.client(node).info('server').catch(() => '')
    const fields = new Map(String(info).split(/\r?\n/).map((line) => line.split(':', 2) as [string, string]).filter((pair) => pair.length === 2))
    const version = versionFromInfo(fields)
    return {address: node.address, traits: version ? traitsOf(version) : undefined}
  }))
}

function describeLack(nodes: Array<{address: string; traits?: ServerTraits}>): string {
  const [first] = nodes
  const more = nodes.length > 1 ? ` (and ${nodes.length - 1} more)` : ''
  if (!first.traits) return `${first.address}${more} did not say its version`
  if (first.traits.atomicSlotMigration === 'redis-cluster-migration') {
    return `${first.address}${more} runs ${describeVersion(first.traits)}, whose CLUSTER MIGRATION twlab does not drive yet`
  }
  return `${first.address}${more} runs ${describeVersion(first.traits)}, which has no atomic slot migration (Valkey 9.0 or later has)`
}
