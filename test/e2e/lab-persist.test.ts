// Labs keep their data: keys written through a pool lab's proxy survive `twlab stop`/`start` of a
// node and `down`/`up` of the whole lab, which comes back on its own ports; another shape under
// the same name is refused; --ephemeral labs keep nothing; `destroy` wipes.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {makeLabHome, type LabHome} from '../lab/support.js'
import type {LabState} from '../../src/lab/state.js'

const KEYS = 3000

async function dbsizes(state: LabState): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {}
  for (const node of state.nodes.filter((n) => n.role === 'master')) {
    const client = new Redis({port: node.port, maxRetriesPerRequest: 1, lazyConnect: true})
    try {
      sizes[node.name] = await client.dbsize()
    } finally {
      client.disconnect()
    }
  }
  return sizes
}

describe('labs keep their data', () => {
  let lab: LabHome
  let basePort = 0
  let written: Record<string, number> = {}

  before(async () => {
    lab = makeLabHome()
  })
  after(async () => {
    await lab.cleanup()
  })

  test('keys written through the proxy spread over the masters of a persistent lab', async () => {
    const {result, basePort: base} = await lab.up(['--lab', 'keep', '--proxy', 'twproxy', '--json'])
    assert.equal(result.code, 0, result.stderr)
    basePort = base
    assert.match(readFileSync(lab.state('keep').nodes[0].configFile, 'utf8'), /^save 3600 1$/m)
    const client = new Redis({port: basePort, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1})
    try {
      const pipeline = client.pipeline()
      for (let i = 0; i < KEYS; i++) pipeline.set(`keep:${i}`, String(i))
      await pipeline.exec()
    } finally {
      client.disconnect()
    }
    written = await dbsizes(lab.state('keep'))
    assert.equal(Object.values(written).reduce((a, b) => a + b, 0), KEYS)
    assert.ok(written.m2 > 0)
  })

  test('stop m2, start m2: every key of m2 is back', async () => {
    assert.equal((await lab.run(['stop', 'm2', '--lab', 'keep'])).code, 0)
    const started = await lab.run(['start', 'm2', '--lab', 'keep'])
    assert.equal(started.code, 0, started.stderr)
    assert.deepEqual(await dbsizes(lab.state('keep')), written)
  })

  test('down, then up: the lab comes back on its ports with every key', async () => {
    const down = await lab.run(['down', '--lab', 'keep'])
    assert.equal(down.code, 0, down.stderr)
    assert.match(down.stdout, /Its data stays/)
    const shape = await lab.run(['up', '--lab', 'keep', '--cluster'])
    assert.equal(shape.code, 1)
    assert.match(shape.stderr, /exists \(stopped\) and keeps its data, but it is a pool lab, not a cluster one/)
    const up = await lab.run(['up', '--lab', 'keep'])
    assert.equal(up.code, 0, up.stderr)
    assert.match(up.stderr, /Starting the stopped lab "keep" again/)
    assert.equal(lab.state('keep').basePort, basePort)
    assert.deepEqual(await dbsizes(lab.state('keep')), written)
    const client = new Redis({port: basePort, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1})
    try {
      assert.equal(await client.get(`keep:${KEYS - 1}`), String(KEYS - 1))
    } finally {
      client.disconnect()
    }
  })

  test('an --ephemeral lab keeps nothing across a stop; destroy wipes a lab', async () => {
    const {result} = await lab.up(['--lab', 'tmp', '--proxy', 'none', '--masters', '1', '--ephemeral', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const state = lab.state('tmp')
    assert.equal(state.ephemeral, true)
    assert.match(readFileSync(state.nodes[0].configFile, 'utf8'), /^save ""$/m)
    const client = new Redis({port: state.nodes[0].port, maxRetriesPerRequest: 1})
    await client.set('gone', 'soon')
    client.disconnect()
    assert.equal((await lab.run(['stop', 'm1', '--lab', 'tmp'])).code, 0)
    assert.equal((await lab.run(['start', 'm1', '--lab', 'tmp'])).code, 0)
    assert.deepEqual(await dbsizes(lab.state('tmp')), {m1: 0})
    const destroyed = await lab.run(['destroy', '--lab', 'keep', '--yes'])
    assert.equal(destroyed.code, 0, destroyed.stderr)
    assert.equal(existsSync(join(lab.home, 'labs', 'keep')), false)
  })
})
