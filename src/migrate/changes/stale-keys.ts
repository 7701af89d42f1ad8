// A source snapshotted again on a target that already holds its keys (a resumed run whose offset
// the source's backlog no longer held, or a snapshot cut short): the new snapshot writes every key
// the source holds now, but a key the source deleted while twlab was not following it would stay
// on the cluster, since the deletion is in no stream twlab will receive. So once the snapshot is
// loaded, and before its stream is applied, the cluster's keys of that source that the snapshot
// did not contain are deleted. Which keys are the source's: by the pool's hashing when there is
// one; with bare servers, a key none of the other sources holds either. Keys the target held
// before the migration and kept (--on-conflict skip), and the applied marks, are left alone.
import {keyId} from '../../key-text.js'
import type {CopyContext} from '../copy/context.js'
import {existsOn} from '../source/reader.js'
import type {Source} from '../source/sources.js'
import {retryTransient} from '../target/retry.js'
import {deleteKeys} from '../target/writer.js'
import {isAppliedMark} from './applied-marks.js'

const SCAN_COUNT = 1000

/** Deletes the target's keys of `source` that its snapshot (`inSnapshot`, key ids) did not hold; returns how many. */
export async function removeKeysNotInSnapshot(ctx: CopyContext, source: Source, inSnapshot: Set<string>): Promise<number> {
  let removed = 0
  await Promise.all(ctx.target.masters().map(async (master) => {
    let cursor = '0'
    for (let page = 0; page < Number.MAX_SAFE_INTEGER; page++) {
      const [next, keys] = await retryTransient(() => master.scanBuffer(cursor, 'COUNT', SCAN_COUNT))
      cursor = next.toString()
      const candidates = keys.filter((key) => isCandidate(ctx, source, key, inSnapshot))
      const stale = await heldByNoOtherSource(ctx, source, candidates)
      if (stale.length > 0) {
        const before = ctx.stats.deleted
        await deleteKeys(ctx.target.client, stale, ctx.stats)
        removed += ctx.stats.deleted - before
      }
      if (cursor === '0') break
    }
  }))
  return removed
}

function isCandidate(ctx: CopyContext, source: Source, key: Buffer, inSnapshot: Set<string>): boolean {
  if (isAppliedMark(key)) return false
  const id = keyId(key)
  if (inSnapshot.has(id) || ctx.write.skipped?.has(id)) return false
  const {ownerOf} = ctx.sources
  return !ownerOf || ownerOf(key) === source.index
}

/** Bare servers: a key another source holds is that source's. With pool hashing, each key has one owner. */
async function heldByNoOtherSource(ctx: CopyContext, source: Source, keys: Buffer[]): Promise<Buffer[]> {
  if (ctx.sources.ownerOf) return keys
  let remaining = keys
  for (const other of ctx.sources.sources) {
    if (other === source || remaining.length === 0) continue
    const present = await existsOn(other, remaining)
    remaining = remaining.filter((_, i) => !present[i])
  }
  return remaining
}
