// The share hashing predicts per server (ketama continuum arcs, modula weights) must match where
// keys really land: placing many generated keys with the same pool converges on it. md5 spreads
// even sequential keys uniformly over the 32-bit hash space, which is what the arcs assume.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {parseConfig} from '../../src/config/index.js'
import {sampleDistribution} from '../../src/keys/dist.js'
import {PoolTarget} from '../../src/targets/pool.js'

function pool(distribution: string, weights: number[]): PoolTarget {
  const text = [
    'alpha:',
    '  listen: 127.0.0.1:22121',
    `  distribution: ${distribution}`,
    '  hash: md5',
    '  redis: true',
    '  servers:',
    ...weights.map((weight, index) => `   - 127.0.0.1:${7001 + index}:${weight} s${index}`),
    '',
  ].join('\n')
  return new PoolTarget(parseConfig(text).pools[0])
}

describe('predicted shares', () => {
  for (const [distribution, weights] of [['ketama', [1, 1, 1]], ['ketama', [1, 2, 5]], ['modula', [1, 3]]] as const) {
    test(`${distribution} ${weights.join(':')}: arcs sum to 1 and 200k placed keys land within half a point of them`, async () => {
      const target = pool(distribution, [...weights])
      try {
        const predicted = target.predictedShares()
        const sum = [...predicted.values()].reduce((a, b) => a + b, 0)
        assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum}`)
        const report = sampleDistribution(target, {keys: 200_000})
        for (const node of report.nodes) {
          assert.equal(node.predictedShare, predicted.get(node.id))
          assert.ok(Math.abs(node.share - node.predictedShare) < 0.005, `${node.name}: placed ${node.share}, predicted ${node.predictedShare}`)
        }
      } finally {
        await target.close()
      }
    })
  }

  test('a heavier ketama server gets a proportionally longer part of the continuum', async () => {
    const target = pool('ketama', [1, 2, 5])
    const shares = target.predictedShares()
    assert.ok(shares.get('s2')! > shares.get('s1')! && shares.get('s1')! > shares.get('s0')!)
    assert.ok(Math.abs(shares.get('s2')! - 5 / 8) < 0.05, String(shares.get('s2')))
    await target.close()
  })
})
