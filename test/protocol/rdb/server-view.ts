// What the server says about a key, in the shape decodeValue() gives, so a test can compare them
// field by field.
import type {Redis} from 'ioredis'
import type {RdbValue, StreamGroup} from '../../../src/protocol/rdb/index.js'

const byBytes = (a: Buffer, b: Buffer) => Buffer.compare(a, b)

export async function serverValue(client: Redis, key: Buffer, type: string): Promise<RdbValue> {
  switch (type) {
    case 'string': return {type, value: (await client.getBuffer(key))!}
    case 'list': return {type, elements: await client.lrangeBuffer(key, 0, -1)}
    case 'set': return {type, members: (await client.smembersBuffer(key)).sort(byBytes)}
    case 'zset': {
      const flat = await client.zrangeBuffer(key, 0, -1, 'WITHSCORES')
      const entries = []
      for (let i = 0; i < flat.length; i += 2) entries.push({member: flat[i], score: Number(flat[i + 1].toString().replace(/^(-?)inf$/, '$1Infinity'))})
      return {type, entries}
    }
    case 'hash': {
      const flat = (await client.callBuffer('HGETALL', key)) as Buffer[]
      const entries = []
      for (let i = 0; i < flat.length; i += 2) entries.push({field: flat[i], value: flat[i + 1]})
      return {type, entries: entries.sort((a, b) => byBytes(a.field, b.field))}
    }
    case 'stream': return serverStream(client, key)
    default: throw new Error(`no server view for type ${type}`)
  }
}

async function serverStream(client: Redis, key: Buffer): Promise<RdbValue> {
  const raw = (await client.callBuffer('XRANGE', key, '-', '+')) as Array<[Buffer, Buffer[]]>
  const entries = raw.map(([id, fields]) => ({id: id.toString(), fields}))
  const info = toMap((await client.call('XINFO', 'STREAM', key)) as unknown[])
  const groups: StreamGroup[] = []
  for (const g of (await client.call('XINFO', 'GROUPS', key)) as unknown[][]) {
    const group = toMap(g)
    const name = String(group.name)
    const pendingRaw = (await client.call('XPENDING', key, name, '-', '+', '1000')) as Array<[string, string, number, number]>
    const consumers = ((await client.call('XINFO', 'CONSUMERS', key, name)) as unknown[][]).map(toMap)
    groups.push({
      name: Buffer.from(name),
      lastId: String(group['last-delivered-id']),
      entriesRead: group['entries-read'] === null ? -1 : Number(group['entries-read']),
      pending: pendingRaw.map(([id, consumer, , count]) => ({id, consumer: Buffer.from(consumer), deliveryCount: count, deliveryTimeMs: 0})),
      consumers: await Promise.all(consumers.map(async (c) => ({
        name: Buffer.from(String(c.name)),
        seenTimeMs: 0,
        pending: ((await client.call('XPENDING', key, name, '-', '+', '1000', String(c.name))) as string[][]).map(([id]) => id),
      }))),
    })
  }
  return {
    type: 'stream', entries, length: Number(info.length), lastId: String(info['last-generated-id']),
    firstId: undefined, maxDeletedId: String(info['max-deleted-entry-id']), entriesAdded: Number(info['entries-added']), groups,
  }
}

function toMap(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (let i = 0; i < flat.length; i += 2) out[String(flat[i])] = flat[i + 1]
  return out
}
