// Reads keys off a source as RESTORE-ready records: the DUMP payload and the absolute expiry.
// A batch is read by one Lua script (scripts.ts: DUMP and expiry of every key in the batch): one
// command for the whole page instead of two per key, and a consistent snapshot of the page (no key's payload and expiry come from different moments).
// PEXPIRETIME gives the expiry as an absolute time, so the target gets exactly the same expiry
// however long the copy takes (no TTL drift); servers before Redis 7 get PTTL + our clock.
import {script} from './scripts.js'
import type {Source} from './sources.js'

export interface KeyRecord {
  key: Buffer
  /** the DUMP payload; null when the key no longer exists */
  payload: Buffer | null
  /** absolute expiry in unix ms, 0 for none */
  expireAt: number
}

export async function readKeys(source: Source, keys: Buffer[]): Promise<KeyRecord[]> {
  if (keys.length === 0) return []
  const before = Date.now()
  const reply = await script(source.client, source.hasExpireTime ? 'twlabReadKeys7' : 'twlabReadKeysOld')(0, ...keys)
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
  const reply = await script(source.client, source.hasExpireTime ? 'twlabExists7' : 'twlabExistsOld')(0, ...keys)
  return reply.map((value) => Number(value) > 0)
}
