// A live nutcracker pool for the keys tests: three redis-servers (unequal weights, named
// servers), the real nutcracker and twproxy in front of them, a nutcracker.yml on disk for `twlab -c`, and
// direct clients to each backend. Nutcracker is the oracle: where it puts a key is where the key
// belongs, found by asking every backend.
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {spawn} from 'node:child_process'
import {TWPROXY} from '../support/cli.js'
import {freePort, type RunningServer, startNutcracker, startRedis, stopPid, tempDir, waitForPort} from '../support/servers.js'

export interface PoolFixture {
  dir: string
  configFile: string
  names: string[]
  backends: RunningServer[]
  /** one client per backend, in the order of `names` */
  direct: Redis[]
  /** a client through the real nutcracker */
  proxy: Redis
  proxyPort: number
  /** a client through twproxy (bin/twproxy.js), same pool on its own listen port */
  twproxy: Redis
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
  const twproxyPort = await freePort()
  const twproxyFile = join(dir, 'twproxy.yml')
  writeFileSync(twproxyFile, poolYaml('alpha', twproxyPort, backends.map((server) => server.port), names, weights))
  const twproxyProcess = spawn(process.execPath, [TWPROXY, '-c', twproxyFile, '-s', String(await freePort()), '-a', '127.0.0.1', '-o', join(dir, 'twproxy.log')], {stdio: 'ignore'})
  const stopTwproxy = () => stopPid(twproxyProcess)
  const direct = backends.map((server) => new Redis({host: '127.0.0.1', port: server.port, lazyConnect: true, maxRetriesPerRequest: 1}))
  // nutcracker closes the connection on commands it does not proxy: INFO (ioredis' ready check)
  // and CLIENT SETINFO (sent on connect by ioredis 5.5+ unless disableClientInfo)
  const proxyOptions = {host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, enableReadyCheck: false, disableClientInfo: true}
  const proxy = new Redis({...proxyOptions, port: proxyPort})
  const twproxy = new Redis({...proxyOptions, port: twproxyPort})
  try {
    await waitForPort(twproxyPort)
    await Promise.all([...direct, proxy, twproxy].map((client) => client.connect()))
  } catch (error) {
    for (const client of [...direct, proxy, twproxy]) client.disconnect()
    await stopTwproxy()
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
    twproxy,
    async whereIs(key) {
      const found = await Promise.all(direct.map((client) => client.exists(key)))
      return found.indexOf(1)
    },
    async stop() {
      for (const client of [...direct, proxy, twproxy]) client.disconnect()
      await stopTwproxy()
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
