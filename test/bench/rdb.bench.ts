// RDB reading speed: keys per second for a file written by redis-server (1M small strings from
// DEBUG POPULATE plus 200k keys of every type, some with expiries), read by this project's reader
// (framing only, as a RESTORE copy needs; and with every value decoded), beside redis-check-rdb,
// the reference tool, on the same file in the same run. Figures only; nothing passes or fails.
import {spawnSync} from 'node:child_process'
import {statSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {decodeValue, rdbFileSource, readRdbBatches} from '../../src/protocol/rdb/index.js'
import {startRedis, stopAll} from '../support/servers.js'
import {fillMixed} from '../migrate/dataset.js'

const POPULATE = 1_000_000
const MIXED = 200_000

async function writeFile(): Promise<string> {
  const server = await startRedis({args: ['--enable-debug-command', 'yes']})
  const client = new Redis({port: server.port, host: '127.0.0.1'})
  await client.call('DEBUG', 'POPULATE', String(POPULATE), 'key', '16')
  await fillMixed(client, 'mixed', MIXED)
  await client.call('SAVE')
  client.disconnect()
  return join(server.dir, 'dump.rdb')
}

async function readKeys(path: string, decode: boolean): Promise<{keys: number; seconds: number}> {
  const started = process.hrtime.bigint()
  let keys = 0
  for await (const batch of readRdbBatches(rdbFileSource(path))) {
    for (const record of batch) {
      if (record.kind !== 'key') continue
      keys++
      if (decode) decodeValue(record.typeByte, record.valueBytes)
    }
  }
  return {keys, seconds: Number(process.hrtime.bigint() - started) / 1e9}
}

function checkRdb(path: string): number | undefined {
  const started = process.hrtime.bigint()
  const result = spawnSync('redis-check-rdb', [path], {stdio: 'ignore'})
  if (result.status !== 0) return undefined
  return Number(process.hrtime.bigint() - started) / 1e9
}

async function main(): Promise<void> {
  try {
    const path = await writeFile()
    const megabytes = statSync(path).size / 1e6
    const total = POPULATE + MIXED
    console.log(`file: ${total.toLocaleString()} keys, ${megabytes.toFixed(1)} MB (redis-server ${spawnSync('redis-server', ['--version']).stdout.toString().match(/v=(\S+)/)?.[1]})`)
    const row = (name: string, seconds: number) =>
      console.log(`${name.padEnd(34)} ${(total / seconds / 1e6).toFixed(2).padStart(6)} M keys/s  ${(megabytes / seconds).toFixed(0).padStart(5)} MB/s  ${seconds.toFixed(2)} s`)
    for (const decode of [false, true]) {
      let best = Infinity
      for (let round = 0; round < 3; round++) {
        const {keys, seconds} = await readKeys(path, decode)
        if (keys !== total) throw new Error(`read ${keys} keys, expected ${total}`)
        best = Math.min(best, seconds)
      }
      row(decode ? 'twlab reader, values decoded' : 'twlab reader (framing, payloads)', best)
    }
    const reference = checkRdb(path)
    if (reference === undefined) console.log('redis-check-rdb: not available or failed')
    else row('redis-check-rdb', reference)
  } finally {
    await stopAll()
  }
}

await main()
