// Copies sets of keys from the sources to the target, with the duplicate rule applied: a key
// present on more than one source (a misplaced duplicate left by a pool change) is copied from
// the source twemproxy hashing routes it to, and reported. When the hashing is not known (bare
// --from servers) the first source listed that holds the key wins.
import type {CopyContext} from './context.js'
import {settleDuplicates, writesOptimistically} from '../source/duplicates.js'
import {keyText} from '../../key-text.js'
import {existsOn, pageKeys, readKeys, type KeyRecord, type ScannedPage} from '../source/reader.js'
import type {Source} from '../source/sources.js'
import {remember} from '../stats.js'
import {deleteKeys, writePage, writeRecords} from '../target/writer.js'

/**
 * The keys of `keys` (scanned on `source`) whose value must come from `source`: drops the ones
 * another source wins, counting them as duplicates, and counts misplaced keys copied from here.
 */
export async function keysOwnedHere(ctx: CopyContext, source: Source, keys: Buffer[], count = true): Promise<Buffer[]> {
  const {sources, ownerOf} = ctx.sources
  if (sources.length < 2 || keys.length === 0) return keys
  const dropped = new Set<Buffer>()
  if (ownerOf) {
    const byOwner = new Map<number, Buffer[]>()
    for (const key of keys) {
      const owner = ownerOf(key)
      if (owner === source.index) continue
      let list = byOwner.get(owner)
      if (!list) byOwner.set(owner, (list = []))
      list.push(key)
    }
    for (const [owner, list] of byOwner) {
      const present = await existsOn(sources[owner], list)
      for (const [i, key] of list.entries()) {
        if (present[i]) {
          dropped.add(key)
          if (count) {
            ctx.stats.duplicates++
            remember(ctx.stats.examples.duplicates, {key: keyText(key), keptFrom: sources[owner].name, alsoOn: source.name})
          }
        } else if (count) {
          ctx.stats.misplaced++
          remember(ctx.stats.examples.misplaced, {key: keyText(key), on: source.name})
        }
      }
    }
  } else {
    let remaining = keys
    for (let j = 0; j < source.index && remaining.length > 0; j++) {
      const present = await existsOn(sources[j], remaining)
      const next: Buffer[] = []
      for (const [i, key] of remaining.entries()) {
        if (present[i]) {
          dropped.add(key)
          if (count) {
            ctx.stats.duplicates++
            remember(ctx.stats.examples.duplicates, {key: keyText(key), keptFrom: sources[j].name, alsoOn: source.name})
          }
        } else next.push(key)
      }
      remaining = next
    }
  }
  return dropped.size === 0 ? keys : keys.filter((key) => !dropped.has(key))
}

/**
 * The bulk path: one SCAN page of one source, already read (readPage). Duplicates are taken out
 * before writing when pool hashing names each key's owner (cheap: only keys on the wrong server
 * are asked about) or under --on-conflict replace; otherwise after (duplicates.ts).
 */
export async function copyScannedPage(ctx: CopyContext, source: Source, page: ScannedPage): Promise<void> {
  ctx.stats.scanned += page.count
  if (writesOptimistically(ctx)) {
    const all = Array.from({length: page.count}, (_, i) => i)
    await writePage(source, ctx.target.client, page, all, ctx.write, ctx.stats, (records) => settleDuplicates(ctx, source, records))
    return
  }
  await writePage(source, ctx.target.client, page, await ownedPositions(ctx, source, page, true), ctx.write, ctx.stats)
}

/** The positions in `page` of the records whose value must come from `source` (keysOwnedHere). */
export async function ownedPositions(ctx: CopyContext, source: Source, page: ScannedPage, count: boolean): Promise<number[]> {
  if (ctx.sources.sources.length < 2) return Array.from({length: page.count}, (_, i) => i)
  const keys = pageKeys(page)
  return positionsOf(keys, await keysOwnedHere(ctx, source, keys, count))
}

/** The positions in `keys` of the keys in `kept` (a subset of `keys`, as keysOwnedHere returns). */
export function positionsOf(keys: Buffer[], kept: Buffer[]): number[] {
  const positions: number[] = []
  if (kept === keys) {
    for (let i = 0; i < keys.length; i++) positions.push(i)
  } else {
    const set = new Set(kept)
    for (let i = 0; i < keys.length; i++) if (set.has(keys[i])) positions.push(i)
  }
  return positions
}

/** Sources in the order they are asked for a key's value: its owner first when known. */
function candidates(ctx: CopyContext, key: Buffer): Source[] {
  const {sources, ownerOf} = ctx.sources
  if (!ownerOf) return sources
  const owner = ownerOf(key)
  return [sources[owner], ...sources.filter((s) => s.index !== owner)]
}

/**
 * The follow-up path (online changes, verify repairs): copies each key afresh from the source
 * that wins it, always replacing the target's value; keys no source holds any more are deleted
 * on the target. Returns how many keys were written and deleted.
 */
export async function recopyKeys(ctx: CopyContext, keys: Buffer[]): Promise<{written: number; deleted: number}> {
  let pending = keys
  let written = 0
  const rounds = ctx.sources.sources.length
  for (let round = 0; round < rounds && pending.length > 0; round++) {
    const bySource = new Map<Source, Buffer[]>()
    for (const key of pending) {
      const source = candidates(ctx, key)[round]
      let list = bySource.get(source)
      if (!list) bySource.set(source, (list = []))
      list.push(key)
    }
    const next: Buffer[] = []
    for (const [source, list] of bySource) {
      const records = await readKeys(source, list)
      const found: KeyRecord[] = []
      for (const record of records) {
        if (record.payload) found.push(record)
        else next.push(record.key)
      }
      await writeRecords(source, ctx.target.client, found, ctx.write, ctx.stats, true)
      written += found.length
    }
    pending = next
  }
  const before = ctx.stats.deleted
  if (pending.length > 0) await deleteKeys(ctx.target.client, pending, ctx.stats)
  ctx.stats.recopied += written
  return {written, deleted: ctx.stats.deleted - before}
}
