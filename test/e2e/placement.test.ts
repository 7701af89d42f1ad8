// Differential test of key placement: the real nutcracker, in front of real redis-servers, is the
// oracle. One nutcracker.yml holds a pool for every hash function x {ketama, modula}, with unequal
// weights, named and unnamed servers and hash tags; every pool writes the same keys into its own
// redis DB of the shared backends. Then each key is looked up on every backend and the one that
// holds it must be the one `twlab keys where --stdin --json` names. A second check ejects a dead
// server (auto_eject_hosts) and compares the rebuilt ring with KeyPlacer's `live` option.
import assert from 'node:assert/strict'
import {writeFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {HASH_NAMES, KeyPlacer, type HashName} from '../../src/hashing/index.js'
import {twlab} from '../support/cli.js'
import {freePorts, startNutcracker, startRedis, stopAll, tempDir, type RunningServer} from '../support/servers.js'

const BACKENDS = 4
const KEYS_PER_POOL = 200
const WEIGHTS = [[1, 2, 3, 5], [3, 1, 1, 2], [10, 1, 4, 1]]
// Names that also check nutcracker's server sort (shorter first, then bytewise): server2 < server10.
const NAMES = ['server10', 'server2', 'alpha', 'Zeta']
const TAGS = [undefined, '{}', '::']

interface PoolSpec {
  name: string
  port: number
  db: number
  hash: string
  distribution: 'ketama' | 'modula'
  tag?: string
  /** per backend: weight and optional name */
  servers: Array<{backend: number; weight: number; name?: string}>
  /** extra nutcracker.yml lines */
  extra?: string[]
}

/** The keys every pool writes: ASCII, UTF-8, bytes >= 0x80 that are not UTF-8, and tagged keys. */
function makeKeys(): Buffer[] {
  const keys: Buffer[] = []
  for (let i = 0; keys.length < KEYS_PER_POOL; i++) {
    switch (i % 8) {
      case 0: keys.push(Buffer.from(`user:${i}`)); break
      case 1: keys.push(Buffer.from(`{user${i % 13}}:cart:${i}`)); break
      case 2: keys.push(Buffer.from(`ключ:${i}:日本語:é`)); break
      case 3: keys.push(Buffer.from([0x6b, 0xff, 0x80 + (i % 64), 0xfe, 0x30 + (i % 10), 0xc3])); break
      case 4: keys.push(Buffer.from(`tenant::${i % 7}::order:${i}`)); break
      case 5: keys.push(Buffer.from(`{}plain${i}`)); break
      case 6: keys.push(Buffer.from(`x${i}`)); break
      default: keys.push(Buffer.from(`🔑 session ${i * 7919}`)); break
    }
  }
  return keys
}

function poolYaml(pool: PoolSpec, backendPorts: number[]): string {
  const lines = [
    `${pool.name}:`,
    `  listen: 127.0.0.1:${pool.port}`,
    `  hash: ${pool.hash}`,
    `  distribution: ${pool.distribution}`,
    '  redis: true',
    `  redis_db: ${pool.db}`,
  ]
  if (pool.tag !== undefined) lines.push(`  hash_tag: "${pool.tag}"`)
  lines.push(...(pool.extra ?? []))
  lines.push('  servers:')
  for (const server of pool.servers) {
    lines.push(`   - 127.0.0.1:${backendPorts[server.backend]}:${server.weight}${server.name ? ` ${server.name}` : ''}`)
  }
  return lines.join('\n')
}

/** A client of one nutcracker pool. nutcracker closes the connection on the INFO and the
 * CLIENT SETINFO that ioredis sends by default, hence the two options. */
async function poolClient(port: number): Promise<Redis> {
  const client = new Redis({port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 2, lazyConnect: true})
  await client.connect()
  return client
}

/** SETs every key through the pool and fails on any error reply. */
async function writeThrough(pool: PoolSpec, keys: Buffer[]): Promise<void> {
  const client = await poolClient(pool.port)
  try {
    const pipeline = client.pipeline()
    for (const key of keys) pipeline.set(key, pool.name)
    const results = (await pipeline.exec())!
    results.forEach(([error], i) => assert.equal(error, null, `SET ${keys[i]!.toString('hex')} through pool ${pool.name}`))
  } finally {
    client.disconnect()
  }
}

/** For every pool (= redis DB), which backend addresses hold each key: `${db}:${hex}` -> addresses. */
async function findHolders(backends: RunningServer[], pools: PoolSpec[]): Promise<Map<string, string[]>> {
  const holders = new Map<string, string[]>()
  await Promise.all(backends.map(async (backend) => {
    const client = new Redis({port: backend.port, host: '127.0.0.1', lazyConnect: true})
    try {
      await client.connect()
      for (const pool of pools) {
        await client.select(pool.db)
        for (const key of await client.keysBuffer('*')) {
          const id = `${pool.db}:${key.toString('hex')}`
          holders.set(id, [...(holders.get(id) ?? []), `127.0.0.1:${backend.port}`])
        }
      }
    } finally {
      client.disconnect()
    }
  }))
  return holders
}

describe('key placement matches the real nutcracker', () => {
  const keys = makeKeys()
  const pools: PoolSpec[] = []
  const ejectPools: PoolSpec[] = []
  let backendPorts: number[] = []
  let backends: RunningServer[] = []
  let dir = ''
  let configFile = ''

  before(async () => {
    const combos = HASH_NAMES.flatMap((hash) => (['ketama', 'modula'] as const).map((distribution) => ({hash, distribution})))
    const ports = await freePorts(combos.length + 3)
    backends = await Promise.all(Array.from({length: BACKENDS}, () => startRedis({args: ['--databases', String(combos.length + 3)]})))
    // The last "backend" is a port nothing listens on: a dead server for the ejection check.
    backendPorts = [...backends.map((b) => b.port), ports[combos.length + 2]!]
    combos.forEach(({hash, distribution}, i) => {
      const weights = WEIGHTS[i % WEIGHTS.length]!
      pools.push({
        name: `${hash}_${distribution}`,
        port: ports[i]!,
        db: i + 1,
        hash,
        distribution,
        tag: TAGS[i % TAGS.length],
        // Pools alternate between all-named, all-unnamed and mixed servers.
        servers: backends.map((_, b) => ({backend: b, weight: weights[b]!, name: i % 3 === 0 || (i % 3 === 2 && b % 2 === 0) ? NAMES[b] : undefined})),
      })
    })
    for (const [j, {hash, distribution}] of ([{hash: 'fnv1a_64', distribution: 'ketama'}, {hash: 'crc32a', distribution: 'modula'}] as const).entries()) {
      ejectPools.push({
        name: `eject_${distribution}`,
        port: ports[combos.length + j]!,
        db: combos.length + 1 + j,
        hash,
        distribution,
        // Named s1..s4, so their sorted order is this order; s3 is the dead one.
        servers: [{backend: 0, weight: 1, name: 's1'}, {backend: 1, weight: 2, name: 's2'}, {backend: BACKENDS, weight: 3, name: 's3'}, {backend: 2, weight: 1, name: 's4'}],
        extra: ['  auto_eject_hosts: true', '  server_failure_limit: 1', '  server_retry_timeout: 600000'],
      })
    }
    dir = tempDir('twlab-placement-')
    const config = [...pools, ...ejectPools].map((pool) => poolYaml(pool, backendPorts)).join('\n')
    configFile = join(dir, 'nutcracker.yml')
    writeFileSync(configFile, config + '\n')
    await startNutcracker({config: config + '\n', waitPort: pools.at(-1)!.port})
  })

  after(async () => {
    await stopAll()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  test(`${HASH_NAMES.length * 2} pools x ${KEYS_PER_POOL} keys land where twlab says`, async () => {
    await Promise.all(pools.map((pool) => writeThrough(pool, keys)))
    const holders = await findHolders(backends, pools)
    const input = Buffer.concat(keys.flatMap((key) => [key, Buffer.from('\n')]))

    // Ask twlab once for every pool: per key, one result per pool in the --pool order.
    const poolFlags = pools.flatMap((pool) => ['--pool', pool.name])
    const result = await twlab(['keys', 'where', '--stdin', '--json', '-c', configFile, ...poolFlags], {input})
    assert.equal(result.code, 0, result.stderr)
    const placed = JSON.parse(result.stdout) as Array<{key: string; keyHex?: string; pool: string; server: string; address: string; hash: number; slot: number}>
    assert.equal(placed.length, keys.length * pools.length)
    let checked = 0
    placed.forEach((p, i) => {
      const key = keys[Math.floor(i / pools.length)]!
      const pool = pools[i % pools.length]!
      assert.equal(p.pool, pool.name)
      assert.equal(p.keyHex ?? Buffer.from(p.key).toString('hex'), key.toString('hex'))
      const found = holders.get(`${pool.db}:${key.toString('hex')}`)
      assert.deepEqual(found?.length, 1, `pool ${pool.name}: key ${key.toString('hex')} is held by ${found?.join(', ') ?? 'no backend'}`)
      assert.equal(p.address, found![0], `pool ${pool.name}: key ${JSON.stringify(p.key)}`)
      const backend = pool.servers.find((s) => `127.0.0.1:${backends[s.backend]!.port}` === p.address)!
      assert.equal(p.server, backend.name ?? p.address, `pool ${pool.name}: server name of ${p.address}`)
      checked++
    })
    assert.equal(checked, pools.length * keys.length)
  })

  test('after auto_eject_hosts takes out a dead server, keys land where KeyPlacer with `live` says', async () => {
    for (const pool of ejectPools) {
      const servers = pool.servers.map((server) => ({name: server.name!, weight: server.weight}))
      const dead = pool.servers.findIndex((server) => server.backend === BACKENDS)
      const fullRing = new KeyPlacer({hash: pool.hash as HashName, distribution: pool.distribution, servers})
      // One request to the dead server: the connect fails, and with server_failure_limit 1 the
      // server is ejected at once and the ring rebuilt without it.
      const probe = keys.find((key) => fullRing.serverIndex(key) === dead)!
      const client = await poolClient(pool.port)
      try {
        await assert.rejects(client.get(probe), /Connection refused/)
      } finally {
        client.disconnect()
      }
      await writeThrough(pool, keys)
    }
    const holders = await findHolders(backends, ejectPools)
    for (const pool of ejectPools) {
      const servers = pool.servers.map((server) => ({name: server.name!, weight: server.weight}))
      const live = pool.servers.map((server) => server.backend !== BACKENDS)
      const placer = new KeyPlacer({hash: pool.hash as HashName, distribution: pool.distribution, servers}, {live})
      for (const key of keys) {
        const expected = `127.0.0.1:${backendPorts[pool.servers[placer.serverIndex(key)]!.backend]}`
        assert.deepEqual(holders.get(`${pool.db}:${key.toString('hex')}`), [expected], `pool ${pool.name}: key ${key.toString('hex')}`)
      }
    }
  })
})
