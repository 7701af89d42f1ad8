// twproxy --metrics: a Prometheus scrape after known traffic shows the per-pool and per-server
// counters of the stats JSON and a latency histogram whose count is the number of replies.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {Redis} from 'ioredis'
import {freePort, type RunningServer, sleep, startRedis, stopAll} from '../support/servers.js'
import {startTwproxy, stopTwproxies} from '../proxy/harness.js'
import {twproxy} from '../support/cli.js'

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  assert.ok(line !== undefined, `no series ${series} in the scrape`)
  return Number(line.slice(series.length + 1))
}

describe('twproxy --metrics', () => {
  let a: RunningServer
  let b: RunningServer
  let port: number
  let metricsPort: number

  before(async () => {
    a = await startRedis()
    b = await startRedis()
    port = await freePort()
    metricsPort = await freePort()
    const config = ['web:', `  listen: 127.0.0.1:${port}`, '  redis: true', '  servers:', `    - 127.0.0.1:${a.port}:1 one`, `    - 127.0.0.1:${b.port}:1 two`, ''].join('\n')
    await startTwproxy(config, port, ['--metrics', `127.0.0.1:${metricsPort}`])
  })

  after(async () => {
    await stopTwproxies()
    await stopAll()
  })

  test('counters and latency histograms after 200 SETs and an MGET split over both servers (50 keys)', async () => {
    const client = new Redis({port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0})
    try {
      for (let i = 0; i < 200; i++) await client.set(`k${i}`, 'x')
      await client.mget(...Array.from({length: 50}, (_, i) => `k${i}`))
    } finally {
      client.disconnect()
    }
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    const text = await response.text()
    assert.match(text, /# TYPE twproxy_server_requests_total counter/)
    assert.match(text, /# TYPE twproxy_server_latency_seconds histogram/)
    const requests = ['one', 'two'].map((s) => value(text, `twproxy_server_requests_total{pool="web",server="${s}"}`))
    const replies = ['one', 'two'].map((s) => value(text, `twproxy_server_responses_total{pool="web",server="${s}"}`))
    // 200 SETs plus one MGET fragment per server
    assert.equal(requests[0] + requests[1], 202)
    assert.ok(requests[0] > 1 && requests[1] > 1, 'keys spread over both servers')
    for (const [i, s] of ['one', 'two'].entries()) {
      const labels = `pool="web",server="${s}"`
      assert.equal(value(text, `twproxy_server_latency_seconds_count{${labels}}`), replies[i])
      assert.equal(value(text, `twproxy_server_latency_seconds_bucket{${labels},le="+Inf"}`), replies[i])
      assert.ok(value(text, `twproxy_server_latency_seconds_sum{${labels}}`) > 0)
      assert.ok(value(text, `twproxy_server_latency_seconds_bucket{${labels},le="0.0001"}`) <= value(text, `twproxy_server_latency_seconds_bucket{${labels},le="2.5"}`))
    }
    // the client's close reaches twproxy a moment after disconnect(): bounded wait for the gauge
    let connections = value(text, 'twproxy_pool_client_connections{pool="web"}')
    for (let i = 0; i < 50 && connections !== 0; i++) {
      await sleep(100)
      connections = value(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(), 'twproxy_pool_client_connections{pool="web"}')
    }
    assert.equal(connections, 0)
    assert.equal(value(text, 'twproxy_pool_fragments_total{pool="web"}') >= 0, true)
    const missing = await fetch(`http://127.0.0.1:${metricsPort}/nothing`)
    assert.equal(missing.status, 404)
  })

  test('a bad --metrics value is one clear line', async () => {
    const result = await twproxy(['--metrics', 'nowhere', '-t', '-c', '/nonexistent.yml'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^twproxy: option --metrics requires HOST:PORT/)
  })
})
