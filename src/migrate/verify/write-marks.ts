// Whether a server took any write over a span of time: its write counter (the changes since the
// last save), its saves (a save resets that counter) and its expired and evicted keys, read
// before and after. Verify's count check (verify.ts) holds only over data that did not change
// while it was counted; any of these moving sends it back to comparing key by key.
import type {Redis} from 'ioredis'

const FIELDS = ['rdb_changes_since_last_save', 'rdb_saves', 'rdb_last_save_time', 'expired_keys', 'evicted_keys']

/** The server's write marks, as one string: equal strings mean no write in between ('?': unreadable). */
export async function writeMarks(client: Redis): Promise<string> {
  let info = ''
  try {
    info = await client.info('persistence') + await client.info('stats')
  } catch {
    return '?' // a server that cannot answer now (failing over): the count check is not used
  }
  return FIELDS.map((field) => new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?').join(' ')
}

/** The write marks of every server, in order. */
export function allWriteMarks(clients: Redis[]): Promise<string[]> {
  return Promise.all(clients.map(writeMarks))
}

/** True when no server's marks moved (and every mark could be read). */
export function noWriteBetween(before: string[], after: string[]): boolean {
  return before.length === after.length && before.every((mark, i) => mark === after[i] && !mark.includes('?'))
}
