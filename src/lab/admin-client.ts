// ioredis clients for talking to lab nodes directly (admin commands, status). They fail fast
// instead of queueing and retrying, because a node that is paused or down must show as such.
import {Redis} from 'ioredis'

export interface AdminAddress {
  host: string
  port: number
}

export function adminClient(address: AdminAddress, password?: string, commandTimeoutMs = 1000): Redis {
  const client = new Redis({
    host: address.host,
    port: address.port,
    password,
    lazyConnect: true,
    connectTimeout: commandTimeoutMs,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    enableReadyCheck: false,
    disableClientInfo: true,
    retryStrategy: () => null,
  })
  // Errors surface on the commands we await; an unhandled 'error' event would crash the CLI.
  client.on('error', () => undefined)
  return client
}

/** Runs `work` with a client and always disconnects it. */
export async function withAdminClient<T>(address: AdminAddress, password: string | undefined, work: (client: Redis) => Promise<T>, commandTimeoutMs?: number): Promise<T> {
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
