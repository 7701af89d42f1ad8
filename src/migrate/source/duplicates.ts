// The duplicate rule for bare --from servers (no pool hashing to say which server owns a key):
// the first source listed that holds a key wins. Asking every earlier source about every key
// before writing it would put one EXISTS per key and earlier source on the sources, most of all
// on the first one, which every other source asks about all its keys: the busiest process of a
// copy. Instead pages are restored without asking (RESTORE without REPLACE), and a key on
// several sources shows itself by failing: its second write meets BUSYKEY. Only the records whose
// write failed (and big keys, copied apart) are settled here, before the ordinary per-key path:
// - an earlier source holds the key: its value wins; this copy is dropped and reported;
// - otherwise this source wins. If a later source holds the key too, the target either has no
//   value yet (write ours with REPLACE: nothing was there before the migration, and a later
//   source writing meanwhile must not win), or holds that later source's value because it got
//   there first (replace it, and report the duplicate). Anything else (our own value, or a value
//   no source has: a real conflict) goes on to the ordinary path, which compares and applies
//   --on-conflict.
// With --on-conflict replace every write replaces, so the order of writes would decide the
// winner: that mode keeps asking the earlier sources first (copier.ts keysOwnedHere).
import type {Cluster} from 'ioredis'
import type {CopyContext} from '../copy/context.js'
import {keyText} from '../../key-text.js'
import {existsOn, readKeys, type KeyRecord} from './reader.js'
import type {Source} from './sources.js'
import {remember} from '../stats.js'
import {perKeyOnTarget} from '../target/target-batch.js'
import {sameValue} from '../target/writer.js'

/** Whether `source`'s pages may be written before asking the other sources (see above). */
export function writesOptimistically(ctx: CopyContext): boolean {
  return !ctx.sources.ownerOf && ctx.sources.sources.length > 1 && ctx.write.onConflict !== 'replace'
}

export interface Settled {
  /** written through the ordinary path (RESTORE without REPLACE, then compare) */
  ordinary: KeyRecord[]
  /** written with REPLACE: this source wins and the target holds nothing or a later source's copy */
  replace: KeyRecord[]
}

function countDuplicate(ctx: CopyContext, key: Buffer, keptFrom: Source, alsoOn: Source): void {
  ctx.stats.duplicates++
  remember(ctx.stats.examples.duplicates, {key: keyText(key), keptFrom: keptFrom.name, alsoOn: alsoOn.name})
}

export async function settleDuplicates(ctx: CopyContext, source: Source, records: KeyRecord[]): Promise<Settled> {
  const all = ctx.sources.sources
  let remaining = records
  for (const earlier of all.slice(0, source.index)) {
    if (remaining.length === 0) break
    const present = await existsOn(earlier, remaining.map((r) => r.key))
    const next: KeyRecord[] = []
    for (const [i, record] of remaining.entries()) {
      if (present[i]) countDuplicate(ctx, record.key, earlier, source)
      else next.push(record)
    }
    remaining = next
  }
  const laterHolders = new Map<KeyRecord, Source[]>()
  for (const later of all.slice(source.index + 1)) {
    if (remaining.length === 0) break
    const present = await existsOn(later, remaining.map((r) => r.key))
    for (const [i, record] of remaining.entries()) {
      if (!present[i]) continue
      const list = laterHolders.get(record) ?? []
      list.push(later)
      laterHolders.set(record, list)
    }
  }
  if (laterHolders.size === 0) return {ordinary: remaining, replace: []}
  const contested = [...laterHolders.keys()]
  const onTarget = await perKeyOnTarget(ctx.target.client, contested.map((r) => r.key), 'DUMP', (key) => [key])
  const replace = new Set<KeyRecord>()
  for (const [j, record] of contested.entries()) {
    const [error, existing] = onTarget[j]
    if (error) throw error
    if (!existing) {
      replace.add(record)
      continue
    }
    if (await sameValue(source, ctx.target.client, record, existing as Buffer)) continue
    for (const later of laterHolders.get(record) as Source[]) {
      const [theirs] = await readKeys(later, [record.key])
      if (theirs.payload && await sameValue(later, ctx.target.client as Cluster, theirs, existing as Buffer)) {
        replace.add(record)
        countDuplicate(ctx, record.key, source, later)
        break
      }
    }
  }
  return {ordinary: remaining.filter((r) => !replace.has(r)), replace: [...replace]}
}
