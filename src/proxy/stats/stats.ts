// nutcracker's stats: per pool and per server counters and gauges, the JSON document served on
// the stats port (byte layout exactly as nutcracker's), and the -D description.
import {hostname} from 'node:os'

export const POOL_METRICS = [
  ['client_eof', '# eof on client connections'],
  ['client_err', '# errors on client connections'],
  ['client_connections', '# active client connections'],
  ['server_ejects', '# times backend server was ejected'],
  ['forward_error', '# times we encountered a forwarding error'],
  ['fragments', '# fragments created from a multi-vector request'],
] as const

export const SERVER_METRICS = [
  ['server_eof', '# eof on server connections'],
  ['server_err', '# errors on server connections'],
  ['server_timedout', '# timeouts on server connections'],
  ['server_connections', '# active server connections'],
  ['server_ejected_at', 'timestamp when server was ejected in usec since epoch'],
  ['requests', '# requests'],
  ['request_bytes', 'total request bytes'],
  ['responses', '# responses'],
  ['response_bytes', 'total response bytes'],
  ['in_queue', '# requests in incoming queue'],
  ['in_queue_bytes', 'current request bytes in incoming queue'],
  ['out_queue', '# requests in outgoing queue'],
  ['out_queue_bytes', 'current request bytes in outgoing queue'],
] as const

export type PoolMetric = (typeof POOL_METRICS)[number][0]
export type ServerMetric = (typeof SERVER_METRICS)[number][0]

export class ServerStats {
  server_eof = 0
  server_err = 0
  server_timedout = 0
  server_connections = 0
  server_ejected_at = 0
  requests = 0
  request_bytes = 0
  responses = 0
  response_bytes = 0
  in_queue = 0
  in_queue_bytes = 0
  out_queue = 0
  out_queue_bytes = 0

  constructor(readonly name: string) {}
}

export class PoolStats {
  client_eof = 0
  client_err = 0
  client_connections = 0
  server_ejects = 0
  forward_error = 0
  fragments = 0

  constructor(readonly name: string, readonly servers: ServerStats[]) {}
}

/** Live connection counts for the document's header (client, server and listening sockets). */
export const connectionCounts = {total: 0, current: 0}

export function countConnectionOpened(): void {
  connectionCounts.total++
  connectionCounts.current++
}

export function countConnectionClosed(): void {
  connectionCounts.current--
}

/** The snapshot workers send to the primary and the primary sums. */
export interface StatsSnapshot {
  total: number
  current: number
  pools: Array<{name: string; values: number[]; servers: Array<{name: string; values: number[]}>}>
}

export function snapshot(pools: PoolStats[]): StatsSnapshot {
  return {
    total: connectionCounts.total,
    current: connectionCounts.current,
    pools: pools.map((pool) => ({
      name: pool.name,
      values: POOL_METRICS.map(([metric]) => pool[metric]),
      servers: pool.servers.map((server) => ({name: server.name, values: SERVER_METRICS.map(([metric]) => server[metric])})),
    })),
  }
}

/**
 * Sums snapshots (one per worker). server_ejected_at keeps the largest value. Pools and servers
 * are matched by name: a cluster pool's masters can differ between workers for a moment while
 * each one learns a failover, and a server only one worker knows is listed too.
 */
export function sumSnapshots(parts: StatsSnapshot[]): StatsSnapshot {
  const [first, ...rest] = parts
  const sum: StatsSnapshot = structuredClone(first)
  const ejectedAt = SERVER_METRICS.findIndex(([metric]) => metric === 'server_ejected_at')
  for (const part of rest) {
    sum.total += part.total
    sum.current += part.current
    for (const pool of part.pools) {
      const into = sum.pools.find((candidate) => candidate.name === pool.name)
      if (into === undefined) {
        sum.pools.push(structuredClone(pool))
        continue
      }
      pool.values.forEach((value, i) => (into.values[i] += value))
      for (const server of pool.servers) {
        const values = into.servers.find((candidate) => candidate.name === server.name)?.values
        if (values === undefined) {
          into.servers.push(structuredClone(server))
          continue
        }
        server.values.forEach((value, i) => {
          values[i] = i === ejectedAt ? Math.max(values[i], value) : values[i] + value
        })
      }
    }
  }
  return sum
}

/**
 * The document nutcracker writes to each stats connection, byte for byte: scalars end with
 * `", "`, objects open with `": {"`, siblings are joined by `},` and the document ends `}}}\n`.
 */
export function renderStats(snap: StatsSnapshot, startedAt: number, now = Date.now()): string {
  let out = `{"service":"nutcracker", "source":"${hostname()}", "version":"0.5.0", ` +
    `"uptime":${Math.floor((now - startedAt) / 1000)}, "timestamp":${Math.floor(now / 1000)}, ` +
    `"total_connections":${snap.total}, "curr_connections":${snap.current}`
  if (snap.pools.length === 0) return `${out}}\n`
  snap.pools.forEach((pool, p) => {
    out += p === 0 ? ', ' : ','
    out += `"${pool.name}": {`
    POOL_METRICS.forEach(([metric], i) => (out += `"${metric}":${pool.values[i]}, `))
    pool.servers.forEach((server, s) => {
      if (s > 0) out += ','
      out += `"${server.name}": {`
      out += SERVER_METRICS.map(([metric], i) => `"${metric}":${server.values[i]}`).join(', ')
      out += '}'
    })
    out += '}'
  })
  return `${out}}\n`
}

/** -D: nutcracker's description of every metric. */
export function describeStats(): string {
  const line = ([name, text]: readonly [string, string]) => `  ${name.padEnd(20)}"${text}"\n`
  return `pool stats:\n${POOL_METRICS.map(line).join('')}\nserver stats:\n${SERVER_METRICS.map(line).join('')}`
}
