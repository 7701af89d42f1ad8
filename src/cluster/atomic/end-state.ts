// What the sources of an atomic run hold of the slots they gave away, once the jobs succeeded,
// and why. Read in Valkey's source and seen on valkey-server 9.1.2:
// - a source that keeps other slots deletes the keys of the lost slots itself, synchronously, in
//   the same step as it learns the target owns them ("Deleting keys in dirty slot" in its log):
//   by the time GETSLOTMIGRATIONS says "success", COUNTKEYSINSLOT is 0 there;
// - a source that gave away its last slot is turned into a replica of the node that took it
//   (cluster-allow-replica-migration, on by default): it keeps its old keys until its first full
//   sync with that master replaces them with the master's data set. DBSIZE on it then counts the
//   moved keys for seconds (the sync waits repl-diskless-sync-delay), and after that the new
//   master's keys: it is a replica, not a master holding stray keys.
// The run waits (bounded) until every master agrees on the new owners and each source is in one of
// these two clean states, and says which, or what remains.
import type {ClusterTarget} from '../../targets/cluster.js'
import {formatRanges, rangesOf} from '../../targets/cluster-nodes.js'
import type {SlotMove} from '../plan.js'
import type {EndState} from '../run.js'
import {waitForAgreement} from '../slot-agreement.js'

export interface EndStateOptions {
  /** how long to wait for each source to be clean (ms) */
  timeoutMs?: number
  pollMs?: number
}

/** Looks at every source of the moved slots (`done`) until each is clean, bounded; says what it found. */
export async function settleSources(target: ClusterTarget, moves: SlotMove[], done: Set<number>, options: EndStateOptions = {}): Promise<EndState> {
  const moved = moves.filter((move) => done.has(move.slot))
  if (moved.length === 0) return {clean: true, notes: []}
  const agreement = await waitForAgreement(target, new Map(moved.map((move) => [move.slot, move.to])), {timeoutMs: options.timeoutMs ?? 10_000, pollMs: 20})
  const notes: string[] = []
  if (!agreement.agreed) notes.push(`Not every master names the new owners yet (${agreement.disagreements.slice(0, 2).map((d) => `${d.node} on slot ${d.slot}`).join(', ')}): gossip settles it.`)
  const bySource = new Map<string, SlotMove[]>()
  for (const move of moved) bySource.set(move.from, [...(bySource.get(move.from) ?? []), move])
  const results = await Promise.all([...bySource].map(([id, slots]) => settleSource(target, id, slots, options)))
  for (const result of results) notes.push(result.note)
  return {clean: agreement.agreed && results.every((result) => result.clean), notes}
}

async function settleSource(target: ClusterTarget, id: string, moves: SlotMove[], options: EndStateOptions): Promise<{clean: boolean; note: string}> {
  const node = target.byId(id)
  const name = node?.address ?? id.slice(0, 8)
  if (!node) return {clean: false, note: `${name} left the cluster view: its keys were not checked.`}
  const client = target.client(node)
  const slots = moves.map((move) => move.slot)
  const ranges = formatRanges(rangesOf(slots))
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  let last = {role: '', link: '', keys: 0, slotsWithKeys: 0}
  for (let look = 0; look < 100_000; look++) {
    last = await lookAt(client, slots).catch(() => ({role: '', link: '', keys: -1, slotsWithKeys: -1}))
    if (last.role === 'slave' && last.link === 'up') {
      return {clean: true, note: `${name} gave away its last slot, so the server made it a replica (cluster-allow-replica-migration): its first sync replaced its keys with its master's data set, which DBSIZE there now counts.`}
    }
    if (last.role === 'master' && last.keys === 0) return {clean: true, note: `${name} holds no key of the ${slots.length} slot(s) it gave away (${shorten(ranges)}): the server deleted them as the new owner took over.`}
    if (Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50))
  }
  if (last.role === 'slave') {
    return {clean: false, note: `${name} gave away its last slot and is now a replica still syncing with its new master (link ${last.link || 'unknown'}): until the sync ends it answers with its old keys; the server replaces them by itself.`}
  }
  if (last.keys < 0) return {clean: false, note: `${name} did not answer while its keys were checked.`}
  return {clean: false, note: `${name} still holds ${last.keys} key(s) in ${last.slotsWithKeys} of the slot(s) it gave away: the server deletes them once it learns the new owner; \`twlab cluster fix\` gathers them if they stay.`}
}

async function lookAt(client: ReturnType<ClusterTarget['client']>, slots: number[]): Promise<{role: string; link: string; keys: number; slotsWithKeys: number}> {
  const info = String(await client.info('replication'))
  const role = /^role:(\w+)/m.exec(info)?.[1] ?? ''
  const link = /^master_link_status:(\w+)/m.exec(info)?.[1] ?? ''
  if (role !== 'master') return {role, link, keys: 0, slotsWithKeys: 0}
  const pipeline = client.pipeline()
  for (const slot of slots) pipeline.call('CLUSTER', 'COUNTKEYSINSLOT', slot)
  const counts = ((await pipeline.exec()) ?? []).map(([error, count]) => (error ? 0 : Number(count)))
  return {role, link, keys: counts.reduce((sum, count) => sum + count, 0), slotsWithKeys: counts.filter((count) => count > 0).length}
}

function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`
}
