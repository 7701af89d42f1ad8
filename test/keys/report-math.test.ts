// The arithmetic behind `keys dist`: spread figures, the bounded top-N list, key display.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {isUtf8, keyText, keyToJson} from '../../src/key-text.js'
import {spreadOf} from '../../src/keys/spread.js'
import {TopKeys} from '../../src/keys/top-keys.js'
import {renderBarChart} from '../../src/cli/bar-chart.js'

describe('spreadOf', () => {
  test('an even spread has max/mean 1 and no deviation', () => {
    const spread = spreadOf([100, 100, 100])
    assert.equal(spread.maxOverMean, 1)
    assert.equal(spread.stdDev, 0)
    assert.equal(spread.relativeStdDev, 0)
  })

  test('an uneven spread: population standard deviation and max over mean', () => {
    const spread = spreadOf([10, 20, 30])
    assert.equal(spread.mean, 20)
    assert.equal(spread.maxOverMean, 1.5)
    assert.ok(Math.abs(spread.stdDev - Math.sqrt(200 / 3)) < 1e-9)
    assert.ok(Math.abs(spread.relativeStdDev - Math.sqrt(200 / 3) / 20) < 1e-9)
  })

  test('nothing at all gives zeros rather than NaN', () => {
    assert.deepEqual(spreadOf([0, 0]), {mean: 0, max: 0, min: 0, maxOverMean: 0, stdDev: 0, relativeStdDev: 0})
    assert.equal(spreadOf([]).maxOverMean, 0)
  })
})

describe('TopKeys', () => {
  test('keeps the N largest in order, whatever order they come in', () => {
    const top = new TopKeys(3)
    const sizes = [5, 90, 12, 7, 300, 1, 64, 64, 2, 150]
    sizes.forEach((bytes, index) => top.offer(Buffer.from(`k${index}`), 'n1', bytes))
    assert.deepEqual(top.sorted().map((entry) => entry.bytes), [300, 150, 90])
    assert.deepEqual(top.sorted().map((entry) => entry.key.toString()), ['k4', 'k9', 'k1'])
  })

  test('copies the key bytes so a reused buffer cannot change what was kept', () => {
    const top = new TopKeys(1)
    const buffer = Buffer.from('abc')
    top.offer(buffer, 'n1', 10)
    buffer.write('xyz')
    assert.equal(top.sorted()[0].key.toString(), 'abc')
  })
})

describe('key text', () => {
  test('UTF-8 keys show as themselves, other bytes quoted and escaped as redis-cli does, base64 beside them in JSON', () => {
    assert.equal(keyText(Buffer.from('user:1')), 'user:1')
    assert.equal(keyText(Buffer.from('caf\u00e9')), 'caf\u00e9')
    const binary = Buffer.from([0x61, 0xff, 0x00])
    assert.equal(isUtf8(binary), false)
    assert.equal(keyText(binary), '"a\\xff\\x00"')
    assert.deepEqual(keyToJson(binary), {key: '"a\\xff\\x00"', keyBase64: binary.toString('base64')})
    assert.deepEqual(keyToJson(Buffer.from('x')), {key: 'x'})
  })

  test('a key with a quote and a backslash is quoted with both escaped, so it reads back unambiguously', () => {
    const key = Buffer.from('say "hi"\\now')
    assert.equal(keyText(key), '"say \\"hi\\"\\\\now"')
    // valid UTF-8: JSON carries the exact text, nothing else
    assert.deepEqual(keyToJson(key), {key: 'say "hi"\\now'})
  })
})

describe('renderBarChart', () => {
  test('bars scale to the largest value and carry the expected marker', () => {
    const chart = renderBarChart([
      {label: 'a', value: 0.5, expected: 0.25},
      {label: 'bb', value: 0.25, expected: 0.5},
    ], 8).split('\n')
    assert.equal(chart.length, 2)
    assert.equal(chart[0], 'a  ███▌████')
    assert.equal(chart[1], 'bb ████   |')
  })
})
