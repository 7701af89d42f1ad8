// What the version tests share: the servers they run on (the system's Redis 7.0 and the fetched
// Redis 8.0 / Valkey 9.1, fetched by the same code as `twlab servers add`, failing the test with
// the reason when one cannot be fetched), labs on them, and small readers of a key's whole value.
import assert from 'node:assert/strict'
import {Redis} from 'ioredis'
import {makeLabHome, type LabHome} from '../lab/support.js'
import {linkFetchedServer} from '../support/fetched-servers.js'

/** The three servers every tool is tested on. */
export const VERSIONS = ['system', 'redis-8.0', 'valkey-9.1'] as const
export type VersionName = (typeof VERSIONS)[number]

/** A lab home where `servers` are installed (links to the shared test cache; `system` needs nothing). */
export async function labHomeWith(...servers: string[]): Promise<LabHome> {
  const lab = makeLabHome()
  for (const server of servers) if (server !== 'system') await linkFetchedServer(lab.home, server)
  return lab
}

/** `twlab up ARGS --server SERVER`, asserted to work. */
export async function labUp(lab: LabHome, server: string, args: string[]): Promise<void> {
  const {result} = await lab.up([...args, '--server', server])
  assert.equal(result.code, 0, `up ${args.join(' ')} on ${server}: ${result.stderr}`)
}

export function nodePort(lab: LabHome, name: string, node: string): number {
  const found = lab.state(name).nodes.find((n) => n.name === node)
  assert.ok(found, `lab ${name} has no node ${node}`)
  return found.port
}

export function masterPorts(lab: LabHome, name: string): number[] {
  return lab.state(name).nodes.filter((n) => n.role === 'master').map((n) => n.port)
}

export function client(port: number): Redis {
  const redis = new Redis({host: '127.0.0.1', port, maxRetriesPerRequest: 2, enableReadyCheck: false, disableClientInfo: true})
  redis.on('error', () => {})
  return redis
}

/** A key's type and whole value in one comparable shape (no DUMP: encodings differ across versions). */
export async function readWhole(redis: Pick<Redis, 'call'>, key: string): Promise<unknown> {
  const call = (...args: string[]) => redis.call(args[0], ...args.slice(1))
  const type = String(await call('TYPE', key))
  switch (type) {
    case 'string': return [type, await call('GET', key)]
    case 'list': return [type, await call('LRANGE', key, '0', '-1')]
    case 'set': return [type, ((await call('SMEMBERS', key)) as string[]).sort()]
    case 'zset': return [type, await call('ZRANGE', key, '0', '-1', 'WITHSCORES')]
    case 'hash': {
      const flat = (await call('HGETALL', key)) as string[]
      const pairs: string[][] = []
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]])
      return [type, pairs.sort((a, b) => a[0].localeCompare(b[0]))]
    }
    case 'stream': {
      const groups = ((await call('XINFO', 'GROUPS', key)) as unknown[][]).map((group) => {
        const fields = new Map<string, unknown>()
        for (let i = 0; i + 1 < group.length; i += 2) fields.set(String(group[i]), group[i + 1])
        return [fields.get('name'), fields.get('pending'), fields.get('last-delivered-id'), fields.get('consumers')]
      })
      return [type, await call('XRANGE', key, '-', '+'), groups]
    }
    default: return [type]
  }
}
