// --metrics HOST:PORT: Prometheus text exposition over HTTP (GET /metrics), beside nutcracker's
// stats port. The same counters as the stats JSON, per pool and per server (labels pool and
// server, the server's nutcracker name), plus per-server latency histograms. Gauges are the
// current values (connections, queues, ejection time); everything else is a counter (_total).
import http from 'node:http'
import {LATENCY_BUCKETS, latencyOf} from './latency.js'
import {POOL_METRICS, type PoolStats, SERVER_METRICS, type StatsSnapshot} from './stats.js'

const GAUGES = new Set(['client_connections', 'server_connections', 'server_ejected_at', 'in_queue', 'in_queue_bytes', 'out_queue', 'out_queue_bytes'])

/** A label value as Prometheus wants it: backslash, quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function family(lines: string[], name: string, help: string, type: 'counter' | 'gauge' | 'histogram'): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
}

/**
 * The exposition text. `pools` (live PoolStats, single process) adds the latency histograms;
 * with --workers only the summed counters of `snap` are known.
 */
export function renderMetrics(snap: StatsSnapshot, startedAt: number, pools?: PoolStats[], now = Date.now()): string {
  const lines: string[] = []
  family(lines, 'twproxy_uptime_seconds', 'seconds since the proxy started', 'gauge')
  lines.push(`twproxy_uptime_seconds ${Math.floor((now - startedAt) / 1000)}`)
  family(lines, 'twproxy_connections_total', 'connections opened (client, server and listening)', 'counter')
  lines.push(`twproxy_connections_total ${snap.total}`)
  family(lines, 'twproxy_connections', 'connections open now', 'gauge')
  lines.push(`twproxy_connections ${snap.current}`)
  POOL_METRICS.forEach(([metric, help], i) => {
    const gauge = GAUGES.has(metric)
    const name = `twproxy_pool_${metric}${gauge ? '' : '_total'}`
    family(lines, name, help.replace(/^# /, ''), gauge ? 'gauge' : 'counter')
    for (const pool of snap.pools) lines.push(`${name}{pool="${label(pool.name)}"} ${pool.values[i]}`)
  })
  SERVER_METRICS.forEach(([metric, help], i) => {
    const gauge = GAUGES.has(metric)
    const name = `twproxy_server_${metric}${gauge ? '' : '_total'}`
    family(lines, name, help.replace(/^# /, ''), gauge ? 'gauge' : 'counter')
    for (const pool of snap.pools) {
      for (const server of pool.servers) lines.push(`${name}{pool="${label(pool.name)}",server="${label(server.name)}"} ${server.values[i]}`)
    }
  })
  if (pools !== undefined) {
    const name = 'twproxy_server_latency_seconds'
    family(lines, name, 'time from a request queued to a server to its reply', 'histogram')
    for (const pool of pools) {
      for (const server of pool.servers) {
        const labels = `pool="${label(pool.name)}",server="${label(server.name)}"`
        const histogram = latencyOf(server)
        let cumulative = 0
        LATENCY_BUCKETS.forEach((le, b) => {
          cumulative += histogram.counts[b]
          lines.push(`${name}_bucket{${labels},le="${le}"} ${cumulative}`)
        })
        lines.push(`${name}_bucket{${labels},le="+Inf"} ${histogram.count}`)
        lines.push(`${name}_sum{${labels}} ${histogram.sum}`)
        lines.push(`${name}_count{${labels}} ${histogram.count}`)
      }
    }
  }
  return `${lines.join('\n')}\n`
}

export class MetricsServer {
  private readonly server: http.Server

  constructor(render: () => Promise<string> | string) {
    this.server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
        res.writeHead(404, {'content-type': 'text/plain'}).end('not found: the metrics are at /metrics\n')
        return
      }
      Promise.resolve(render())
        .then((text) => res.writeHead(200, {'content-type': 'text/plain; version=0.0.4; charset=utf-8'}).end(text))
        .catch(() => res.writeHead(500).end())
    })
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen({host, port}, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
