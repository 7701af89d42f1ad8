// A live nutcracker pool for the keys tests: three redis-servers (unequal weights, named
// servers), the real nutcracker in front of them, a nutcracker.yml on disk for `twlab -c`, and
// direct clients to each backend. Nutcracker is the oracle: where it puts a key is where the key
// belongs, found by asking every backend.
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {freePort, type RunningServer, startNutcracker, startRedis, tempDir} from '../support/servers.js'

export interface PoolFixture {
  dir: string
  configFile: string
  names: string[]
  backends: RunningServer[]
  /** one client per backend, in the order of `names` */
  direct: Redis[]
  proxy: Redis
  proxyPort: number
  /** restarts nothing; closes clients and stops what it started */
  stop(): Promise<void>
  /** index of the backend that holds the key (asked of every backend), or -1 */
  whereIs(key: string | Buffer): Promise<number>
}

export function poolYaml(name: string, proxyPort: number, ports: number[], names: string[], weights: number[]): string {
  return [
    `${name}:`,
    `  listen: 127.0.0.1:${proxyPort}`,
    '  hash: fnv1a_64',
    '  distribution: ketama',
    '  redis: true',
    '  servers:',
    ...ports.map((port, index) => `   - 127.0.0.1:${port}:${weights[index]} ${names[index]}`),
    '',
  ].join('\n')
}

export async function startPoolFixture(): Promise<PoolFixture> {
  const names = ['red', 'green', 'blue']
  const weights = [1, 1, 2]
  const backends = await Promise.all(names.map(() => startRedis()))
  const proxyPort = await freePort()
  const yaml = poolYaml('alpha', proxyPort, backends.map((server) => server.port), names, weights)
  const dir = tempDir('twlab-keys-')
  const configFile = join(dir, 'nutcracker.yml')
  writeFileSync(configFile, yaml)
  const nutcracker = await startNutcracker({config: yaml, waitPort: proxyPort})
  const direct = backends.map((server) => new Redis({host: '127.0.0.1', port: server.port, lazyConnect: true, maxRetriesPerRequest: 1}))
  // nutcracker closes the connection on commands it does not proxy: INFO (ioredis' ready check)
  // and CLIENT SETINFO (sent on connect by ioredis 5.5+ unless disableClientInfo)
  const proxy = new Redis({host: '127.0.0.1', port: proxyPort, lazyConnect: true, maxRetriesPerRequest: 1, enableReadyCheck: false, disableClientInfo: true})
  try {
    await Promise.all([...direct, proxy].map((client) => client.connect()))
  } catch (error) {
    for (const client of [...direct, proxy]) client.disconnect()
    await Promise.all([nutcracker, ...backends].map((server) => server.stop()))
    rmSync(dir, {recursive: true, force: true})
    throw error
  }
  return {
    dir,
    configFile,
    names,
    backends,
    direct,
    proxy,
    proxyPort,
    async whereIs(key) {
      const found = await Promise.all(direct.map((client) => client.exists(key)))
      return found.indexOf(1)
    },
    async stop() {
      for (const client of [...direct, proxy]) client.disconnect()
      await Promise.all([nutcracker, ...backends].map((server) => server.stop()))
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** Moves a key from one backend to another by hand (DUMP/PTTL/RESTORE/DEL), TTL kept. */
export async function misplace(from: Redis, to: Redis, key: string | Buffer): Promise<void> {
  const payload = await from.dumpBuffer(key)
  if (!payload) throw new Error(`no key ${key.toString()} to misplace`)
  const ttl = await from.pttl(key)
  await to.restore(key, ttl > 0 ? ttl : 0, payload)
  await from.del(key)
}
