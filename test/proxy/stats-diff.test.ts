// The stats port against the real nutcracker: the same document layout (field names and order,
// separators, pools and servers in config order), and the same counter values after the same
// workload.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {sleep, stopAll} from '../support/servers.js'
import {exchange, readStats, resp, startTwin, stopTwproxies, type Twin} from './harness.js'

let twin: Twin

/** The document with the values that legitimately differ (host, times) blanked. */
function shape(document: string): string {
  return document
    .replace(/"source":"[^"]*"/, '"source":""')
    .replace(/"(uptime|timestamp)":\d+/g, '"$1":0')
}

async function workload(side: 'nutcracker' | 'twproxy'): Promise<void> {
  const port = twin.ports[side].alpha
  const keys = Array.from({length: 10}, (_, i) => `stat:${i}`)
  const requests = [
    ...keys.map((key) => resp('SET', key, 'value')),
    ...keys.map((key) => resp('GET', key)),
    resp('MGET', ...keys), resp('DEL', ...keys.slice(0, 4)), resp('PING'),
  ]
  const result = await exchange(port, Buffer.concat(requests), {until: '+PONG\r\n'})
  assert.ok(result.data.toString().endsWith('+PONG\r\n'))
  // a client the proxy closes (unsupported command): client_err
  await exchange(port, resp('SELECT', '1'))
}

describe('stats: the same document as nutcracker', () => {
  before(async () => {
    twin = await startTwin([
      {name: 'alpha', settings: ['redis: true'], servers: 3, names: [' first', ' second', ' third']},
      {name: 'beta', settings: ['redis: true'], servers: 1},
    ])
  })
  after(async () => {
    await twin?.stop()
    await stopTwproxies()
    await stopAll()
  })

  test('the idle document has the same layout and values', async () => {
    // nutcracker aggregates its counters in a thread (every -i msec): under load it can lag, so
    // read again (a bounded number of times) until it has caught up with the start-up connections
    let nutcracker = ''
    let twproxy = ''
    for (let attempt = 0; attempt < 6; attempt++) {
      await sleep(attempt === 0 ? 200 : 500)
      nutcracker = await readStats(twin.nutcracker.statsPort)
      twproxy = await readStats(twin.twproxy.statsPort)
      if (shape(twproxy) === shape(nutcracker)) break
    }
    assert.ok(nutcracker.endsWith('}}}\n'))
    assert.equal(shape(twproxy), shape(nutcracker))
  })

  test('after the same workload the counters are the same', async () => {
    await workload('nutcracker')
    await workload('twproxy')
    await sleep(200)
    const nutcracker = JSON.parse(await readStats(twin.nutcracker.statsPort))
    const twproxy = JSON.parse(await readStats(twin.twproxy.statsPort))
    assert.deepEqual(Object.keys(twproxy), Object.keys(nutcracker))
    for (const pool of ['alpha', 'beta']) {
      assert.deepEqual(Object.keys(twproxy[pool]), Object.keys(nutcracker[pool]))
      for (const key of Object.keys(nutcracker[pool])) {
        if (typeof nutcracker[pool][key] === 'object') {
          assert.deepEqual(twproxy[pool][key], nutcracker[pool][key], `${pool}.${key}`)
        } else {
          assert.equal(twproxy[pool][key], nutcracker[pool][key], `${pool}.${key}`)
        }
      }
    }
    assert.equal(twproxy.alpha.first.requests + twproxy.alpha.second.requests + twproxy.alpha.third.requests > 20, true)
    assert.equal(twproxy.total_connections, nutcracker.total_connections)
    assert.equal(twproxy.curr_connections, nutcracker.curr_connections)
  })
})
