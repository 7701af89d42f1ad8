// Fuzzed RDB input: seeded random mutations and truncations of a real file written by
// redis-server. Each one must end in success or in one RdbError naming an offset, never another
// exception, a hang or a runaway allocation, and within a time bound.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {RdbError, decodeValue, readRdb} from '../../../src/protocol/rdb/index.js'
import {startRedis, stopAll} from '../../support/servers.js'
import {fillEveryEncoding} from './dataset.js'

const TIME_BOUND_MS = 2_000
const FUZZ_COUNT = Number(process.env.RDB_FUZZ_COUNT ?? 1200)

/** xorshift32: the same mutations on every run, so a failure can be replayed by its seed. */
function generator(seed: number): (limit: number) => number {
  let state = seed >>> 0 || 1
  return (limit) => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) % limit
  }
}

function mutate(file: Buffer, seed: number): Buffer {
  const random = generator(seed)
  switch (seed % 4) {
    case 0: return file.subarray(0, random(file.length)) // truncation
    case 1: { // a few bytes overwritten
      const out = Buffer.from(file)
      for (let n = 1 + random(4); n > 0; n--) out[random(out.length)] = random(256)
      return out
    }
    case 2: { // a span removed
      const at = random(file.length)
      return Buffer.concat([file.subarray(0, at), file.subarray(Math.min(file.length, at + 1 + random(16)))])
    }
    default: { // random bytes inserted
      const at = random(file.length)
      const noise = Buffer.from(Array.from({length: 1 + random(8)}, () => random(256)))
      return Buffer.concat([file.subarray(0, at), noise, file.subarray(at)])
    }
  }
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

/** Reads and decodes everything; returns 'ok' or the RdbError. Anything else is thrown. */
async function readAll(bytes: Buffer, verifyChecksum: boolean): Promise<'ok' | RdbError> {
  try {
    for await (const record of readRdb(chunks(bytes, 1000), {verifyChecksum, maxValueBytes: 64 * 1024 * 1024})) {
      if (record.kind === 'key') decodeValue(record.typeByte, record.valueBytes, {offset: record.offset})
    }
    return 'ok'
  } catch (error) {
    if (error instanceof RdbError) return error
    throw error
  }
}

describe('RDB reader on fuzzed files', () => {
  let file: Buffer

  before(async () => {
    const server = await startRedis({args: ['--enable-debug-command', 'yes']})
    const client = new Redis({port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1})
    await fillEveryEncoding(client)
    await client.call('SAVE')
    client.disconnect()
    file = readFileSync(join(server.dir, 'dump.rdb'))
  })

  after(stopAll)

  test('the unmutated file reads', async () => {
    assert.equal(await readAll(file, true), 'ok')
  })

  test('every truncation point of the header and the first records ends in an RdbError', async () => {
    for (let cut = 0; cut < Math.min(file.length, 300); cut++) {
      const result = await readAll(file.subarray(0, cut), true)
      assert.ok(result instanceof RdbError, `cut at ${cut}`)
      assert.ok(result.offset <= cut, `offset ${result.offset} within ${cut} bytes`)
      assert.match(result.message, /^RDB .* at byte \d+: expected .+\.$/)
    }
  })

  test(`${FUZZ_COUNT} seeded mutations end in success or one RdbError, each in bounded time`, async () => {
    const outcomes = {ok: 0, error: 0}
    for (let seed = 1; seed <= FUZZ_COUNT; seed++) {
      const input = mutate(file, seed)
      const started = Date.now()
      let result: 'ok' | RdbError
      try {
        result = await readAll(input, seed % 2 === 0)
      } catch (error) {
        assert.fail(`seed ${seed}: ${(error as Error).stack}`)
      }
      const elapsed = Date.now() - started
      assert.ok(elapsed < TIME_BOUND_MS, `seed ${seed} took ${elapsed} ms`)
      if (result === 'ok') outcomes.ok++
      else {
        outcomes.error++
        assert.ok(Number.isInteger(result.offset) && result.offset >= 0, `seed ${seed}: offset ${result.offset}`)
      }
    }
    assert.ok(outcomes.error > FUZZ_COUNT / 2, `most mutations are caught (${JSON.stringify(outcomes)})`)
  })
})
