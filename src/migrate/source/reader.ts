// Reads keys off a source as RESTORE-ready records: the DUMP payload and the absolute expiry.
// The bulk copy reads a whole SCAN page with one Lua script (scripts.ts: SCAN, then DUMP and
// expiry of every key it returned, packed into one string): one command per page instead of two
// per key plus the SCAN, and a consistent snapshot of the page (no key's payload and expiry come from different moments).
// Follow-up reads of known keys (online changes, verify repairs) take a list of keys the same way.
// PEXPIRETIME gives the expiry as an absolute time, so the target gets exactly the same expiry
// however long the copy takes (no TTL drift); servers before Redis 7 get PTTL + a clock.
import {gatherRecords, indexRecords, keyOf, keySlotOf, packKeys, type RecordPage} from '../copy/record-pack.js'
import {script} from '../copy/scripts.js'
import {clusterScript} from './cluster-scripts.js'
import type {Source} from './sources.js'

export interface KeyRecord {
  key: Buffer
  /** the DUMP payload; null when the key no longer exists */
  payload: Buffer | null
  /** absolute expiry in unix ms, 0 for none */
  expireAt: number
}

/** One SCAN page read whole: its records packed as the source wrote them (record-pack.ts). */
export interface ScannedPage extends RecordPage {
  /** the SCAN cursor after this page ('0': the scan is complete) */
  cursor: string
}

/**
 * Reads the next SCAN page of `source`. With `digests`, each record carries the value's digest
 * (copy/value-digest-script.ts: a small payload or a hash-table set's or hash's whole, else the
 * SHA-1 of the payload) instead of the payload: what verify compares, without moving big values.
 */
export async function readPage(source: Source, cursor: string, count: number, digests = false): Promise<ScannedPage> {
  if (source.cluster) return readClusterPage(source, cursor, count, digests)
  const name = digests
    ? (source.hasExpireTime ? 'twlabScanDigest7' : 'twlabScanDigestOld')
    : (source.hasExpireTime ? 'twlabScanRead7' : 'twlabScanReadOld')
  const [next, blob] = await script(source.client, name)(0, cursor, count) as [Buffer, Buffer]
  return {cursor: next.toString(), ...indexRecords(blob)}
}

/**
 * A page of a cluster master: keys it does not serve are left out by the script; for the copy,
 * keys of slots that were moving when it began are left out too (the open-slot pass copies them).
 */
async function readClusterPage(source: Source, cursor: string, count: number, digests: boolean): Promise<ScannedPage> {
  const [next, blob] = await clusterScript(source.client, digests ? 'twlabClusterScanDigest' : 'twlabClusterScanRead', cursor, count) as [Buffer, Buffer]
  const page = indexRecords(blob)
  const skip = source.cluster?.bulkSkipSlots
  if (digests || !skip || skip.size === 0) return {cursor: next.toString(), ...page}
  const kept: number[] = []
  for (let i = 0; i < page.count; i++) if (!skip.has(keySlotOf(page, i))) kept.push(i)
  if (kept.length === page.count) return {cursor: next.toString(), ...page}
  return {cursor: next.toString(), ...indexRecords(gatherRecords(page, kept))}
}

/** The keys of a page, in order. */
export function pageKeys(page: RecordPage): Buffer[] {
  const keys: Buffer[] = new Array(page.count)
  for (let i = 0; i < page.count; i++) keys[i] = keyOf(page, i)
  return keys
}

export async function readKeys(source: Source, keys: Buffer[]): Promise<KeyRecord[]> {
  if (keys.length === 0) return []
  const before = Date.now()
  const reply = source.cluster
    ? await clusterScript(source.client, 'twlabClusterReadKeys', ...keys)
    : await script(source.client, source.hasExpireTime ? 'twlabReadKeys7' : 'twlabReadKeysOld')(0, ...keys)
  const records: KeyRecord[] = new Array(keys.length)
  for (let i = 0; i < keys.length; i++) {
    const payload = (reply[2 * i] as Buffer | null) ?? null
    const time = Number(reply[2 * i + 1])
    let expireAt = 0
    if (payload && time >= 0) expireAt = source.hasExpireTime ? time : before + time
    records[i] = {key: keys[i], payload, expireAt}
  }
  return records
}

/** EXISTS for each key on one source, in one script call: true where the source holds the key. */
export async function existsOn(source: Source, keys: Buffer[]): Promise<boolean[]> {
  if (keys.length === 0) return []
  const reply = (source.cluster
    ? await clusterScript(source.client, 'twlabClusterExists', packKeys(keys))
    : await script(source.client, source.hasExpireTime ? 'twlabExistsPacked7' : 'twlabExistsPackedOld')(0, packKeys(keys))) as unknown as Buffer
  const present: boolean[] = new Array(keys.length)
  for (let i = 0; i < keys.length; i++) present[i] = reply[i] === 0x31
  return present
}
