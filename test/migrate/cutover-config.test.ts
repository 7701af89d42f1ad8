// The cut-over's pieces that need no servers: the pool rewrite (servers: becomes cluster: in
// place, comments and other pools untouched, put back byte for byte) and reading twproxy's stats.
import assert from 'node:assert/strict'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {ConfigEditor} from '../../src/config/index.js'
import {restorePool, rewritePoolToCluster, switchPoolToCluster} from '../../src/migrate/cutover/pool-to-cluster.js'
import {poolServers, waitForPoolServers} from '../../src/migrate/cutover/proxy-stats.js'
import {tempDir} from '../support/servers.js'

const FILE = [
  '# our pools',
  'alpha:',
  '  listen: 127.0.0.1:22121',
  '  hash: fnv1a_64',
  '  distribution: ketama',
  '  redis: true',
  '  redis_db: 2',
  '  servers: # the old ketama servers',
  '    - 127.0.0.1:6379:1 m1',
  '    - 127.0.0.1:6380:1 m2',
  '  timeout: 400',
  'beta:',
  '  listen: 127.0.0.1:22122',
  '  servers:',
  '    - 127.0.0.1:6390:1',
  '',
].join('\n')

describe('cut-over config rewrite', () => {
  const dir = tempDir('twlab-cutover-config-')
  after(() => rmSync(dir, {recursive: true, force: true}))

  test('servers: becomes cluster: in its place; redis_db goes; the other pool and comments stay', () => {
    const editor = new ConfigEditor(FILE)
    switchPoolToCluster(editor, 'alpha', ['127.0.0.1:7000', '127.0.0.1:7001'])
    const text = editor.toString()
    const alpha = text.slice(text.indexOf('alpha:'), text.indexOf('beta:'))
    assert.doesNotMatch(alpha, /servers:|m1|redis_db/)
    assert.match(alpha, /redis: true\n\s+cluster:\n\s+- 127\.0\.0\.1:7000\n\s+- 127\.0\.0\.1:7001\n\s+timeout: 400/)
    assert.match(text, /^# our pools/)
    assert.match(text.slice(text.indexOf('beta:')), /servers:\n\s+- 127\.0\.0\.1:6390:1/)
  })

  test('the rewrite is written with a backup and put back exactly', async () => {
    const file = join(dir, 'nutcracker.yml')
    writeFileSync(file, FILE)
    const rewrite = await rewritePoolToCluster(file, 'alpha', ['127.0.0.1:7000'])
    assert.match(readFileSync(file, 'utf8'), /cluster:\n\s+- 127\.0\.0\.1:7000/)
    assert.equal(readFileSync(`${file}.bak`, 'utf8'), FILE)
    await restorePool(rewrite)
    assert.equal(readFileSync(file, 'utf8'), FILE)
  })

  test('a rewrite the config check refuses leaves the file alone', async () => {
    const file = join(dir, 'memcache.yml')
    const text = 'mc:\n  listen: 127.0.0.1:22123\n  servers:\n    - 127.0.0.1:11211:1\n'
    writeFileSync(file, text)
    // cluster: on a memcache pool is refused by the config check: nothing is written
    await assert.rejects(rewritePoolToCluster(file, 'mc', ['127.0.0.1:7000']), /memcache/)
    assert.equal(readFileSync(file, 'utf8'), text)
  })
})

describe('twproxy stats', () => {
  test('the servers of a pool are its object-valued entries', () => {
    const stats = {service: 'nutcracker', uptime: 3, alpha: {client_eof: 0, m1: {requests: 1}, m2: {requests: 0}}}
    assert.deepEqual(poolServers(stats, 'alpha'), ['m1', 'm2'])
    assert.equal(poolServers(stats, 'beta'), undefined)
  })

  test('waiting for a pool to list given servers: seen when it does, bounded when it does not', async () => {
    let document = {alpha: {m1: {}, m2: {}}}
    const server = net.createServer((socket) => socket.end(JSON.stringify(document)))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    const address = {host: '127.0.0.1', port, text: `127.0.0.1:${port}`}
    try {
      const before = await waitForPoolServers(address, 'alpha', ['127.0.0.1:7000'], 300)
      assert.equal(before.switched, false)
      assert.deepEqual(before.seen, ['m1', 'm2'])
      setTimeout(() => (document = {alpha: {'127.0.0.1:7000': {}} as never}), 100)
      const later = await waitForPoolServers(address, 'alpha', ['127.0.0.1:7000'], 5000)
      assert.equal(later.switched, true)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
