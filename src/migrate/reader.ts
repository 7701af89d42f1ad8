// Reads keys off a source as RESTORE-ready records: the DUMP payload and the absolute expiry.
// A batch is read by one Lua script (DUMP and expiry of every key in the batch): one command for
// the whole page instead of two per key, which is most of the client-side cost of a copy, and a
// consistent snapshot of the page (no key's payload and expiry come from different moments).
// PEXPIRETIME gives the expiry as an absolute time, so the target gets exactly the same expiry
// however long the copy takes (no TTL drift); servers before Redis 7 get PTTL + our clock.
import type {Redis} from 'ioredis'
import type {Source} from './sources.js'

export interface KeyRecord {
  key: Buffer
  /** the DUMP payload; null when the key no longer exists */
  payload: Buffer | null
  /** absolute expiry in unix ms, 0 for none */
  expireAt: number
}

const READ_SCRIPT = (expiry: string) => `
local out = {}
for i, key in ipairs(KEYS) do
  out[2 * i - 1] = redis.call('DUMP', key)
  out[2 * i] = redis.call('${expiry}', key)
end
return out`

type ReadCommand = (numKeys: number, ...keys: Buffer[]) => Promise<Array<Buffer | number | null>>

function readCommand(source: Source): ReadCommand {
  const client = source.client as Redis & {twlabReadKeysBuffer?: ReadCommand}
  if (!client.twlabReadKeysBuffer) {
    // no-writes lets the script run on a read-only replica too (Redis 7 flags syntax).
    const lua = source.hasExpireTime ? `#!lua flags=no-writes\n${READ_SCRIPT('PEXPIRETIME')}` : READ_SCRIPT('PTTL')
    client.defineCommand('twlabReadKeys', {lua})
  }
  return (client.twlabReadKeysBuffer as ReadCommand).bind(client)
}

export async function readKeys(source: Source, keys: Buffer[]): Promise<KeyRecord[]> {
  if (keys.length === 0) return []
  const before = Date.now()
  const reply = await readCommand(source)(keys.length, ...keys)
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

/** EXISTS for each key on one source, pipelined: true where the source holds the key. */
export async function existsOn(source: Source, keys: Buffer[]): Promise<boolean[]> {
  if (keys.length === 0) return []
  const pipeline = source.client.pipeline()
  for (const key of keys) pipeline.exists(key)
  const replies = (await pipeline.exec()) ?? []
  return replies.map(([error, value]) => {
    if (error) throw error
    return Number(value) > 0
  })
}
