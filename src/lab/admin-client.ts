// ioredis clients for talking to lab nodes directly (admin commands, status). They fail fast
// instead of queueing and retrying, because a node that is paused or down must show as such.
import type {Redis} from 'ioredis'
import type {Address} from '../address.js'
import {createClient} from '../targets/client-factory.js'

/**
 * A `probe` client (one try, no reconnect) whose commands and connect give up after
 * `commandTimeoutMs`, and with no handshake of ioredis's own that a paused node could hold up.
 */
export function adminClient(address: Address, password?: string, commandTimeoutMs = 1000): Redis {
  return createClient({host: address.host, port: address.port}, {
    policy: 'probe',
    password,
    connectTimeoutMs: commandTimeoutMs,
    commandTimeoutMs,
    handshake: false,
  })
}

/** Runs `work` with a client and always disconnects it. */
export async function withAdminClient<T>(address: Address, password: string | undefined, work: (client: Redis) => Promise<T>, commandTimeoutMs?: number): Promise<T> {
  const client = adminClient(address, password, commandTimeoutMs)
  try {
    return await work(client)
  } finally {
    client.disconnect()
  }
}

/** INFO output as a field map (section headers and blank lines dropped). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split('\r\n').join('\n').split('\n')) {
    if (!line || line.startsWith('#')) continue
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1))
  }
  return fields
}
