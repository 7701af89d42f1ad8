// Key by key comparison for migration tests, independent of the tool under test: every key of a
// set of readers (standalone servers, or a cluster through its client) read as type, a canonical
// value (members sorted where order is not part of the value) and absolute expiry, then compared
// with the same read on the other side. Readers answer for one key at a time: small datasets only.
import assert from 'node:assert/strict'
import type {Cluster, Redis} from 'ioredis'

export interface KeyReading {
  type: string
  value: string
  expireAt: number
}

type Reader = Redis | Cluster

/** Type, canonical value and absolute expiry (0: none) of one key. */
export async function readKey(client: Reader, key: Buffer): Promise<KeyReading> {
  const type = await client.type(key)
  const hex = (items: Buffer[]) => items.map((b) => b.toString('hex'))
  let value: unknown
  switch (type) {
    case 'string': value = (await client.getBuffer(key))?.toString('hex'); break
    case 'list': value = hex(await client.lrangeBuffer(key, 0, -1)); break
    case 'set': value = hex(await client.smembersBuffer(key)).sort(); break
    case 'zset': {
      // scores as numbers: servers print the same double with more or fewer digits
      const flat = await client.zrangeBuffer(key, 0, -1, 'WITHSCORES')
      value = flat.map((item, i) => (i % 2 === 0 ? item.toString('hex') : Number(item.toString())))
      break
    }
    case 'hash': {
      const flat = await client.hgetallBuffer(key)
      value = Object.entries(flat).map(([f, v]) => `${Buffer.from(f, 'latin1').toString('hex')}=${v.toString('hex')}`).sort()
      break
    }
    case 'stream': {
      const entries = await client.xrangeBuffer(key, '-', '+') as Array<[Buffer, Buffer[]]>
      const groups = await client.xinfo('GROUPS', key) as unknown[][]
      value = {entries: entries.map(([id, fields]) => [id.toString(), hex(fields)]), groups: groups.map((g) => [g[1], g[g.indexOf('last-delivered-id') + 1], g[g.indexOf('pending') + 1]])}
      break
    }
    default: value = null
  }
  const expiry = Number(await client.call('PEXPIRETIME', key))
  return {type, value: JSON.stringify(value), expireAt: expiry > 0 ? expiry : 0}
}

/** Every key of each standalone node (SCAN), as Buffers. */
export async function allKeys(nodes: Redis[]): Promise<Buffer[]> {
  const keys: Buffer[] = []
  for (const node of nodes) {
    let cursor = '0'
    for (let round = 0; round < 1e6; round++) {
      const [next, page] = await node.scanBuffer(cursor, 'COUNT', 1000)
      keys.push(...page)
      cursor = next.toString()
      if (cursor === '0') break
    }
  }
  return keys
}

/**
 * Asserts that every key in `keys` reads the same through `from` and `to` (type, value, expiry
 * within `toleranceMs`), and that `to` holds exactly `keys.length` keys. Returns how many matched.
 */
export async function assertSameKeys(keys: Buffer[], from: (key: Buffer) => Reader, to: (key: Buffer) => Reader, toCount: number, toleranceMs = 1000): Promise<number> {
  let matched = 0
  for (const key of keys) {
    const [a, b] = await Promise.all([readKey(from(key), key), readKey(to(key), key)])
    assert.equal(b.type, a.type, `type of ${key.toString('hex')}`)
    assert.equal(b.value, a.value, `value of ${key.toString('hex')} (${a.type})`)
    assert.ok(Math.abs(a.expireAt - b.expireAt) <= toleranceMs, `expiry of ${key.toString('hex')}: ${a.expireAt} vs ${b.expireAt}`)
    matched++
  }
  assert.equal(toCount, keys.length, 'the target holds exactly the source\'s keys')
  return matched
}
