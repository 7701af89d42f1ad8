// twproxy on Sentinel masters (the `sentinels:` extension): two groups under three sentinels,
// a steady writer through the proxy, the master of one group SIGKILLed mid-load. The proxy must
// end up on the promoted replica, writes must go on, every acknowledged write must be readable
// afterwards, and every key must stay on the group it was on (placement is by master name).
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {Redis} from 'ioredis'
import {freePort, sleep} from '../support/servers.js'
import {startTwproxy, stopTwproxies, type Twproxy} from '../proxy/harness.js'
import {eventually, replicationInfo, sentinelCall, type Sentinels, startSentinels, switchMasterTime} from './sentinel-support.js'

describe('twproxy follows Sentinel failovers', () => {
  let sentinels: Sentinels
  let proxy: Twproxy
  let port: number

  before(async () => {
    sentinels = await startSentinels(['alpha', 'beta'])
    port = await freePort()
    const [alpha, beta] = sentinels.groups
    // the written addresses are deliberately wrong for beta: the proxy must ask Sentinel
    const config = [
      'pool:',
      `  listen: 127.0.0.1:${port}`,
      '  redis: true',
      '  hash: fnv1a_64',
      '  distribution: ketama',
      '  timeout: 1000',
      '  sentinels:',
      ...sentinels.ports.map((p) => `    - 127.0.0.1:${p}`),
      '  servers:',
      `    - 127.0.0.1:${alpha.master.port}:1 alpha`,
      `    - 127.0.0.1:${beta.replica.port}:1 beta`,
      '',
    ].join('\n')
    proxy = await startTwproxy(config, port)
  })

  after(async () => {
    await stopTwproxies()
    await sentinels?.stop()
  })

  test('a master killed under load: the proxy follows, acknowledged writes are all there, keys stay on their group', async () => {
    const [alpha, beta] = sentinels.groups
    const client = new Redis({port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50})
    client.on('error', () => {})
    const acked = new Map<string, string>()
    let failed = 0
    let attempts = 0
    let stop = false
    const writer = (async () => {
      for (let i = 0; !stop && i < 200_000; i++) {
        const key = `key:${i}`
        attempts++
        try {
          if ((await client.set(key, `v${i}`)) === 'OK') acked.set(key, `v${i}`)
        } catch {
          failed++
          await sleep(5)
        }
      }
    })()
    try {
      // the beta master is where Sentinel says, not where the file says
      await eventually('writes through the proxy', 10_000, async () => (acked.size >= 300 ? true : undefined))
      const betaDirect = new Redis({port: beta.master.port, maxRetriesPerRequest: 0})
      const betaKeys = await betaDirect.dbsize()
      betaDirect.disconnect()
      assert.ok(betaKeys > 0, 'keys routed to "beta" reach the master Sentinel names, not the replica written in the file')

      // the harness waited for the first sync; a replica whose link is down now would not hold
      // what the proxy wrote, and its promotion would lose writes whatever the proxy does
      assert.equal((await replicationInfo(alpha.replica.port)).get('master_link_status'), 'up', 'alpha\'s replica is replicating before the kill')
      const ackedBeforeKill = acked.size
      process.kill(alpha.master.pid, 'SIGKILL')
      await eventually('Sentinel to promote alpha\'s replica', 30_000, async () => {
        const addr = await sentinelCall<string[]>(sentinels.ports[0], 'get-master-addr-by-name', 'alpha')
        return Number(addr[1]) === alpha.replica.port ? true : undefined
      })
      const afterSwitch = acked.size
      await eventually('writes acknowledged after the switch', 10_000, async () => (acked.size >= afterSwitch + 500 ? true : undefined))
      stop = true
      await writer
      assert.ok(acked.size > ackedBeforeKill, 'writes continue after the failover')

      // every acknowledged write is readable through the proxy
      let lost = 0
      const keys = [...acked.keys()]
      for (let i = 0; i < keys.length; i += 500) {
        const slice = keys.slice(i, i + 500)
        const values = await client.mget(...slice)
        slice.forEach((key, j) => {
          if (values[j] !== acked.get(key)) {
            lost++
            if (lost < 4) void client.get(key).then((v) => process.stderr.write(`lost ${key}: mget ${values[j]}, get ${v} vs ${acked.get(key)}\n`))
          }
        })
      }
      assert.equal(lost, 0, `${lost} of ${acked.size} acknowledged writes are missing (${failed} writes failed during the switch, of ${attempts})`)

      // placement by name: each acknowledged key is on exactly one group (alpha's new master or
      // beta's master), none copied or moved across by the switch
      const alphaNow = new Redis({port: alpha.replica.port, maxRetriesPerRequest: 0})
      const betaNow = new Redis({port: beta.master.port, maxRetriesPerRequest: 0})
      const [alphaHeld, betaHeld] = [new Set(await alphaNow.keys('*')), new Set(await betaNow.keys('*'))]
      alphaNow.disconnect()
      betaNow.disconnect()
      assert.deepEqual(keys.filter((key) => alphaHeld.has(key) === betaHeld.has(key)), [], 'each acknowledged key is on exactly one group')
      assert.ok(alphaHeld.size > 0 && betaHeld.size > 0)

      // on the new master within a second of Sentinel's switch: the proxy's "moved" line against
      // the earliest +switch-master in the sentinels' logs (both log local time, in msec)
      const log = readFileSync(proxy.logFile, 'utf8')
      const moved = new RegExp(`^\\[(\\d{4})-(\\d\\d)-(\\d\\d) (\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3})\\] .*master 'alpha' moved from 127\\.0\\.0\\.1:${alpha.master.port} to 127\\.0\\.0\\.1:${alpha.replica.port} \\((.+)\\)`, 'm').exec(log)
      assert.ok(moved !== null, 'the proxy logs its move to alpha\'s new master')
      const [, y, mo, d, h, mi, se, ms] = moved.map(Number)
      const why = moved[8]
      const movedAt = new Date(y, mo - 1, d, h, mi, se, ms).getTime()
      const switchedAt = switchMasterTime(sentinels.logFiles, 'alpha')
      assert.ok(switchedAt !== undefined, 'a sentinel logged +switch-master alpha')
      const lag = movedAt - switchedAt
      assert.ok(lag >= 0 && lag <= 1000, `the proxy moved ${lag} ms after Sentinel's switch (at most 1000)`)
      process.stderr.write(`# sentinel failover: ${attempts} writes, ${acked.size} acknowledged, ${failed} failed during the switch, 0 lost; proxy moved (${why}) ${lag} ms after +switch-master\n`)
    } finally {
      stop = true
      await writer
      client.disconnect()
    }
  })
})
