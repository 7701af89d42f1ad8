// The ketama continuum and its lookup, checked against nutcracker's rules.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {buildKetamaContinuum, ketamaDispatch, ketamaPointsPerServer, md5Words} from '../../src/hashing/index.js'

const servers = (n: number, weight = 1) => Array.from({length: n}, (_, i) => ({name: `server${i + 1}`, weight}))

describe('ketama', () => {
  test('a point is a little-endian word of md5("<name>-<n>") (nutcracker test_all.c)', () => {
    const out = md5Words(Buffer.from('server1-8'), 0, 9, new Uint32Array(4))
    assert.equal(out[0], 3853726576)
    assert.equal(out[3], 2667054752)
  })

  test('160 points per server, but 156 where the float32 product lands below 40', () => {
    assert.equal(ketamaPointsPerServer(1, 4, 4), 160)
    assert.equal(ketamaPointsPerServer(1, 3, 3), 160)
    for (const n of [25, 47, 50, 55, 61, 71, 94, 100, 107, 109, 110, 115, 122, 142, 159, 163, 188, 193, 200]) {
      assert.equal(ketamaPointsPerServer(1, n, n), 156, `n=${n}`)
    }
    for (const n of [1, 2, 5, 10, 24, 26, 48, 99, 101]) assert.equal(ketamaPointsPerServer(1, n, n), 160, `n=${n}`)
  })

  test('points follow the weights', () => {
    // weights 1, 2, 5 of 8 over 3 servers: floor(pct*160/4*3)*4
    assert.deepEqual([1, 2, 5].map((w) => ketamaPointsPerServer(w, 8, 3)), [60, 120, 300])
    const continuum = buildKetamaContinuum([{name: 'a', weight: 1}, {name: 'b', weight: 2}, {name: 'c', weight: 5}])
    assert.equal(continuum.values.length, 60 + 120 + 300)
    const counts = [0, 0, 0]
    for (const index of continuum.indexes) counts[index]!++
    assert.deepEqual(counts, [60, 120, 300])
  })

  test('the continuum is sorted ascending and has 640 points for four equal servers', () => {
    const {values, indexes} = buildKetamaContinuum(servers(4))
    assert.equal(values.length, 640)
    assert.equal(indexes.length, 640)
    for (let i = 1; i < values.length; i++) assert.ok(values[i - 1]! <= values[i]!)
  })

  test('equal point values keep server index order (stable sort)', () => {
    // Two servers with the same name produce the very same points: every value is tied.
    const {values, indexes} = buildKetamaContinuum([{name: 'twin', weight: 1}, {name: 'twin', weight: 1}])
    for (let i = 0; i < values.length; i += 2) {
      assert.equal(values[i], values[i + 1])
      assert.deepEqual([indexes[i], indexes[i + 1]], [0, 1])
    }
    // A hash equal to a tied value lands on the first of them: server 0.
    assert.equal(ketamaDispatch({values, indexes}, values[10]!), 0)
  })

  test('lookup: first point >= hash, wrapping past the last point', () => {
    const continuum = {values: Uint32Array.from([10, 20, 30]), indexes: Uint32Array.from([2, 0, 1])}
    assert.equal(ketamaDispatch(continuum, 0), 2)
    assert.equal(ketamaDispatch(continuum, 10), 2)
    assert.equal(ketamaDispatch(continuum, 11), 0)
    assert.equal(ketamaDispatch(continuum, 30), 1)
    assert.equal(ketamaDispatch(continuum, 31), 2)
    assert.equal(ketamaDispatch(continuum, 0xffffffff), 2)
  })

  test('ejected servers have no points and the others share theirs', () => {
    const {values, indexes} = buildKetamaContinuum(servers(4), [true, false, true, true])
    assert.equal(values.length, 480)
    assert.ok(!indexes.includes(1))
  })

  test('long names are hashed as at most 272 bytes of "<name>-<n>", as nutcracker does', () => {
    const longName = 'n'.repeat(300)
    const a = buildKetamaContinuum([{name: longName, weight: 1}, {name: 'x', weight: 1}])
    const b = buildKetamaContinuum([{name: longName + 'tail', weight: 1}, {name: 'x', weight: 1}])
    assert.deepEqual(a.values, b.values)
  })
})
