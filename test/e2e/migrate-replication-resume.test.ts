// Replication capture survives being stopped: twlab killed (SIGKILL) mid-snapshot and again
// mid-stream while `twlab check consistency` writes to a source, then resumed: a new snapshot
// where the first was unfinished, a partial resync (PSYNC -> +CONTINUE) from the checkpoint's
// offset after that, and no acknowledged write lost. A dropped link is taken up again with a
// partial resync (the source's sync_partial_ok counts it); a backlog too small for the time
// stopped means a new snapshot, and the run says so.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {TWLAB, startCli, twlab} from '../support/cli.js'
import {sleep} from '../support/servers.js'
import {fillMixed} from '../migrate/dataset.js'
import {startHarness, type Harness} from '../migrate/harness.js'
import {assertSameKeys, writeMixedChanges} from '../migrate/replication-support.js'

const KEYS = 8_000

interface Position {
  replid: string
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

function migrateArgs(h: Harness, checkpoint: string, extra: string[]): string[] {
  return ['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--online', '--capture', 'replication',
    '--json', '--checkpoint', checkpoint, ...extra]
}

async function stat(client: Redis, field: string): Promise<number> {
  return Number(new RegExp(`${field}:(\\d+)`).exec(await client.info('stats'))?.[1] ?? 0)
}

describe('replication capture: stopped and resumed', () => {
  let h: Harness

  before(async () => {
    h = await startHarness(2)
    await fillMixed(h.clients[0], 's0', KEYS)
    await fillMixed(h.clients[1], 's1', KEYS)
  })

  after(async () => {
    await h?.stop()
  })

  test('SIGKILL mid-snapshot and mid-stream under check consistency, resumed: nothing lost', async () => {
    const checkpoint = h.checkpoint('killed')
    const source0 = `127.0.0.1:${h.sources[0].port}`
    // a backlog sized for the writes of the time stopped, as an operator would for a migration
    await h.clients[0].config('SET', 'repl-backlog-size', String(64 * 1024 * 1024))
    const checker = startCli(TWLAB, ['check', 'consistency', '--target', source0, '--duration', '45s', '--keys', '200',
      '--concurrency', '2', '--keep', '--json'], {timeoutMs: 120_000})
    // 1. Killed mid-snapshot: the target's writes are held, so the load cannot finish meanwhile.
    const masters = h.cluster.masters.map((m) => new Redis({host: '127.0.0.1', port: m.port}))
    const hold = (...args: string[]) => Promise.all(masters.map((m) => m.call('CLIENT', ...args)))
    const first = startCli(TWLAB, migrateArgs(h, checkpoint, ['--quiet-for', '60']), {timeoutMs: 120_000})
    try {
      await hold('PAUSE', '10000', 'WRITE')
      await waitFor('the snapshot to begin', () => {
        const now = positions(checkpoint)
        return now !== undefined && now.length === 2 && now.every((p) => p !== null && !p.snapshotLoaded)
      })
      first.child.kill('SIGKILL')
    } finally {
      await hold('UNPAUSE')
      masters.forEach((m) => m.disconnect())
    }
    await first.done

    // 2. Resumed: a new snapshot, then killed mid-stream (after some commands were applied).
    const second = startCli(TWLAB, migrateArgs(h, checkpoint, ['--resume', '--quiet-for', '60']), {timeoutMs: 120_000})
    let round = 0
    let applied = 0
    let ended = ''
    void second.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    await waitFor('the stream to be applied', async () => {
      if (ended) assert.fail(`the resumed migration ended early (${ended})`)
      await writeMixedChanges(h.clients, round++)
      const now = positions(checkpoint)
      const loaded = now?.every((p) => p?.snapshotLoaded) ?? false
      if (loaded && applied === 0) applied = now?.[0]?.offset ?? 0
      return loaded && (now?.[0]?.offset ?? 0) > applied + 2000
    }, 90_000)
    second.child.kill('SIGKILL')
    await second.done

    // 3. Resumed again: a partial resync from the checkpoint's offset; ends once the writers stop.
    const partialBefore = await stat(h.clients[0], 'sync_partial_ok')
    const third = startCli(TWLAB, migrateArgs(h, checkpoint, ['--resume', '--quiet-for', '3']), {timeoutMs: 180_000})
    for (let i = 0; i < 30; i++, round++) await writeMixedChanges(h.clients, round)
    const checked = await checker.done
    assert.equal(checked.code, 0, checked.stderr + checked.stdout)
    const report = JSON.parse(checked.stdout)
    assert.equal(report.lostWrites, 0)
    const result = await third.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    assert.ok(await stat(h.clients[0], 'sync_partial_ok') > partialBefore, 'the source counted a partial resync')
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.capture.mode, 'replication')
    assert.equal(migration.capture.partialResyncs, 2)
    assert.equal(migration.capture.fullResyncs, 0)
    assert.match(migration.capture.notes.join('\n'), /Continuing .* from replication offset \d+ \(partial resync/)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    await assertSameKeys(h)
  })

  test('a dropped link continues with a partial resync; a backlog too small means a new snapshot, said plainly', async () => {
    const checkpoint = h.checkpoint('links')
    const [a] = h.clients
    await Promise.all(h.cluster.masters.map(async (m) => {
      const master = new Redis({host: '127.0.0.1', port: m.port})
      await master.flushall()
      master.disconnect()
    }))
    const partialBefore = await stat(a, 'sync_partial_ok')
    const run = startCli(TWLAB, migrateArgs(h, checkpoint, ['--quiet-for', '60']), {timeoutMs: 120_000})
    let ended = ''
    void run.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    let round = 1000
    await waitFor('the stream to be applied', async () => {
      if (ended) assert.fail(`the migration ended early (${ended})`)
      await writeMixedChanges(h.clients, round++)
      return positions(checkpoint)?.every((p) => p?.snapshotLoaded && p.offset > 0) ?? false
    }, 90_000)
    await a.call('CLIENT', 'KILL', 'TYPE', 'replica')
    await waitFor('a partial resync', async () => {
      await writeMixedChanges(h.clients, round++)
      return (await stat(a, 'sync_partial_ok')) > partialBefore
    })
    for (let i = 0; i < 10; i++) await writeMixedChanges(h.clients, round++)
    await waitFor('the checkpoint to follow', () => (positions(checkpoint)?.[0]?.offset ?? 0) > 0)
    await sleep(1200) // one more checkpoint save after the last writes
    run.child.kill('SIGKILL')
    await run.done

    // stopped; meanwhile the source writes far more than its (tiny) backlog holds
    await a.config('SET', 'repl-backlog-size', '16384')
    for (let i = 0; i < 200; i++) await a.set(`filler:${i}`, 'x'.repeat(1000))
    const resumed = await twlab(migrateArgs(h, checkpoint, ['--resume', '--quiet-for', '2']), {timeoutMs: 180_000})
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout)
    const {migration} = JSON.parse(resumed.stdout)
    assert.equal(migration.capture.fullResyncs, 1, 'source 0 needed a new snapshot')
    assert.equal(migration.capture.partialResyncs, 1, 'source 1 continued')
    assert.match(migration.capture.notes.join('\n'), /no longer holds replication offset \d+ in its backlog .*: taking a new snapshot/)
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    await assertSameKeys(h)
  })
})
