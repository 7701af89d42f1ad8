// The order of pools in the stats document, against the real nutcracker. nutcracker sorts its
// pools by name with its string compare (the shorter name first, then bytewise), whatever the
// file order or the listen ports; src/config must give the same order and twproxy's stats too.
// Each case sets file order, name order and listen order against one another.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {parseConfig} from '../../src/config/index.js'
import {freePorts, type RunningServer, sleep, startNutcracker, startRedis, stopAll, waitForPort} from '../support/servers.js'
import {readStats, startTwproxy, stopTwproxies} from './harness.js'

/** Pool names in file order, and the rank of each one's listen port (0 = lowest port). */
interface OrderCase {
  title: string
  names: string[]
  listenRank: number[]
}

const CASES: OrderCase[] = [
  {title: 'two pools, the longer name first in the file and on the lower port', names: ['alpha', 'beta'], listenRank: [0, 1]},
  {title: 'two pools of one length, reverse file order, listen in file order', names: ['beta', 'alpha'], listenRank: [0, 1]},
  {title: 'three pools, listen order against name order', names: ['gamma', 'alpha', 'beta'], listenRank: [2, 0, 1]},
  {title: 'lengths, case and digits', names: ['zeta', 'server10', 'B', 'ab', 'alpha', 'server2', 'a'], listenRank: [6, 5, 4, 3, 2, 1, 0]},
]

/** The top-level keys of a stats document that are pools (objects), in document order. */
function poolOrder(document: string): string[] {
  const parsed = JSON.parse(document) as Record<string, unknown>
  return Object.keys(parsed).filter((key) => typeof parsed[key] === 'object')
}

let backend: RunningServer

async function configFor(names: string[], listenRank: number[]): Promise<{text: string; ports: number[]}> {
  const sorted = (await freePorts(names.length)).sort((a, b) => a - b)
  const ports = listenRank.map((rank) => sorted[rank])
  const text = names.map((name, i) =>
    `${name}:\n  listen: 127.0.0.1:${ports[i]}\n  redis: true\n  servers:\n   - 127.0.0.1:${backend.port}:1\n`).join('')
  return {text, ports}
}

/** Reads a stats document until it lists `count` pools (bounded: nutcracker may still be starting). */
async function statsPools(port: number, count: number): Promise<string[]> {
  let pools: string[] = []
  for (let attempt = 0; attempt < 10 && pools.length < count; attempt++) {
    if (attempt > 0) await sleep(300)
    await waitForPort(port)
    pools = poolOrder(await readStats(port))
  }
  return pools
}

describe('stats: pools in nutcracker\'s order', () => {
  before(async () => {
    backend = await startRedis()
  })
  after(async () => {
    await stopTwproxies()
    await stopAll()
  })

  for (const c of CASES) {
    test(c.title, async () => {
      const forNutcracker = await configFor(c.names, c.listenRank)
      const forTwproxy = await configFor(c.names, c.listenRank)
      const nutcracker = await startNutcracker({config: forNutcracker.text, waitPort: forNutcracker.ports[0]})
      const twproxy = await startTwproxy(forTwproxy.text, forTwproxy.ports[0])
      try {
        const expected = await statsPools(nutcracker.statsPort, c.names.length)
        assert.equal(expected.length, c.names.length)
        assert.deepEqual(await statsPools(twproxy.statsPort, c.names.length), expected)
        assert.deepEqual(parseConfig(forTwproxy.text).pools.map((pool) => pool.name), expected)
      } finally {
        await Promise.all([nutcracker.stop(), twproxy.stop()])
      }
    })
  }
})
