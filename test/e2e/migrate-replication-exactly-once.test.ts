// Replication capture applies each command once, across a kill: twlab SIGKILLed mid-stream while
// INCR, APPEND, LPUSH, INCRBYFLOAT and HINCRBY run on the sources, resumed (partial resync from
// the checkpoint's offset, older than what the target had), and the target ends key by key equal
// to the sources with no repair (--no-verify, then `migrate verify` finds nothing). And a forced
// new snapshot (the backlog no longer holds the offset) leaves no key the source deleted meanwhile.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {TWLAB, startCli, twlab} from '../support/cli.js'
import {sleep} from '../support/servers.js'
import {fillMixed} from '../migrate/dataset.js'
import {sourceKeyCount, startHarness, targetKeyCount, type Harness} from '../migrate/harness.js'
import {assertSameKeys} from '../migrate/replication-support.js'

const KEYS = 3_000
/** keys each kind of counter is spread over (many slots, every target master) */
const SPREAD = 40

interface Position {
  offset: number
  snapshotLoaded: boolean
}

function positions(checkpoint: string): Array<Position | null> | undefined {
  if (!existsSync(checkpoint)) return undefined
  try {
    return (JSON.parse(readFileSync(checkpoint, 'utf8')) as {replication?: Array<Position | null>}).replication
  } catch {
    return undefined // caught mid-rename
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    if (await check()) return
    await sleep(50)
  }
  assert.fail(`timed out waiting for ${what}`)
}

/** One round of writes that are wrong when applied twice, on every source. */
async function writeNonIdempotent(clients: Redis[], round: number): Promise<void> {
  await Promise.all(clients.map(async (client, s) => {
    const pipeline = client.pipeline()
    for (let j = 0; j < 10; j++) {
      const i = (round * 10 + j) % SPREAD
      pipeline.incr(`ctr:${s}:${i}`)
      pipeline.append(`app:${s}:${i}`, `${round}.`)
      pipeline.lpush(`lst:${s}:${i}`, String(round))
      pipeline.incrbyfloat(`flt:${s}:${i}`, '0.5')
      pipeline.hincrby(`h:${s}:${i}`, 'n', 3)
    }
    await pipeline.exec()
  }))
}

/** The highest offset the target's applied marks hold (any source). */
async function highestMark(h: Harness): Promise<number> {
  let highest = 0
  for (const master of h.cluster.masters) {
    const client = new Redis({host: '127.0.0.1', port: master.port})
    try {
      const [, keys] = await client.scan('0', 'MATCH', '__twlab_applied__*', 'COUNT', 100_000)
      for (const key of keys) {
        for (const value of Object.values(await client.hgetall(key))) highest = Math.max(highest, Number(value.split(' ')[1] ?? 0))
      }
    } finally {
      client.disconnect()
    }
  }
  return highest
}

function migrateArgs(h: Harness, checkpoint: string, extra: string[]): string[] {
  return ['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--online', '--capture', 'replication',
    '--json', '--checkpoint', checkpoint, ...extra]
}

async function flushTarget(h: Harness): Promise<void> {
  await Promise.all(h.cluster.masters.map(async (m) => {
    const master = new Redis({host: '127.0.0.1', port: m.port})
    await master.flushall()
    master.disconnect()
  }))
}

async function assertVerifyClean(h: Harness): Promise<void> {
  const verified = await twlab(['migrate', 'verify', '--from', h.from, '--to-cluster', h.cluster.address, '--json'], {timeoutMs: 120_000})
  assert.equal(verified.code, 0, verified.stderr + verified.stdout)
  assert.deepEqual(JSON.parse(verified.stdout).counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
  assert.equal(await targetKeyCount(h), await sourceKeyCount(h), 'no key on the target but the sources\' (the marks are gone)')
}

describe('replication capture: exactly once across a kill', () => {
  let h: Harness

  before(async () => {
    h = await startHarness(2)
    await fillMixed(h.clients[0], 's0', KEYS)
    await fillMixed(h.clients[1], 's1', KEYS)
    for (const client of h.clients) await client.config('SET', 'repl-backlog-size', String(64 * 1024 * 1024))
  })

  after(async () => {
    await h?.stop()
  })

  test('SIGKILL mid-stream under INCR/APPEND/LPUSH/INCRBYFLOAT/HINCRBY, resumed: equal with no repair', async () => {
    const checkpoint = h.checkpoint('exactly-once')
    const first = startCli(TWLAB, migrateArgs(h, checkpoint, ['--quiet-for', '60']), {timeoutMs: 120_000})
    let ended = ''
    void first.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    let round = 0
    await waitFor('the stream to be applied', async () => {
      if (ended) assert.fail(`the migration ended early (${ended})`)
      await writeNonIdempotent(h.clients, round++)
      const now = positions(checkpoint)
      return now?.every((p) => p?.snapshotLoaded && p.offset > 0) ?? false
    }, 90_000)
    // killed while the target holds commands past the checkpoint's offset: a resume from that
    // offset is sent them again
    let saved = 0
    await waitFor('the target to be ahead of the checkpoint', async () => {
      await writeNonIdempotent(h.clients, round++)
      saved = Math.max(...(positions(checkpoint) ?? []).map((p) => p?.offset ?? 0))
      return (await highestMark(h)) > saved
    })
    first.child.kill('SIGKILL')
    await first.done
    assert.ok((await highestMark(h)) > Math.max(...(positions(checkpoint) ?? []).map((p) => p?.offset ?? 0)), 'commands past the checkpoint were on the target when killed')

    const resumed = startCli(TWLAB, migrateArgs(h, checkpoint, ['--resume', '--quiet-for', '2', '--no-verify']), {timeoutMs: 120_000})
    for (let i = 0; i < 40; i++) await writeNonIdempotent(h.clients, round++)
    const result = await resumed.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.capture.partialResyncs, 2)
    assert.equal(migration.capture.fullResyncs, 0)
    await assertSameKeys(h)
    await assertVerifyClean(h)
  })

  test('a forced new snapshot removes the keys the source deleted while twlab was stopped', async () => {
    await flushTarget(h)
    const checkpoint = h.checkpoint('stale')
    const [a] = h.clients
    const run = startCli(TWLAB, migrateArgs(h, checkpoint, ['--quiet-for', '60']), {timeoutMs: 120_000})
    let ended = ''
    void run.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    let round = 10_000
    await waitFor('the stream to be applied', async () => {
      if (ended) assert.fail(`the migration ended early (${ended})`)
      await writeNonIdempotent(h.clients, round++)
      return positions(checkpoint)?.every((p) => p?.snapshotLoaded && p.offset > 0) ?? false
    }, 90_000)
    run.child.kill('SIGKILL')
    await run.done

    // stopped; meanwhile the source deletes keys the target holds, and writes past its backlog
    const deleted = Array.from({length: 50}, (_, i) => `s0:${i * 11}`)
    assert.equal(await h.target.exists(deleted[0]), 1)
    await a.del(...deleted)
    await a.config('SET', 'repl-backlog-size', '16384')
    for (let i = 0; i < 200; i++) await a.set(`filler:${i}`, 'x'.repeat(1000))
    const resumed = await twlab(migrateArgs(h, checkpoint, ['--resume', '--quiet-for', '2', '--no-verify']), {timeoutMs: 180_000})
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout)
    const {migration} = JSON.parse(resumed.stdout)
    assert.equal(migration.capture.fullResyncs, 1, 'source 0 needed a new snapshot')
    assert.match(migration.capture.notes.join('\n'), /no longer holds replication offset \d+ .*: taking a new snapshot/)
    assert.match(migration.capture.notes.join('\n'), /Removed \d+ key\(s\) .* no longer holds/)
    for (const key of deleted) assert.equal(await h.target.exists(key), 0, `${key} was deleted on the source`)
    await assertSameKeys(h)
    await assertVerifyClean(h)
  })
})
