// A migration killed mid-copy (SIGKILL: no chance to save anything more) or stopped by Ctrl-C
// continues from its checkpoint with --resume, without copying everything again.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {TWLAB, startCli, twlab} from '../support/cli.js'
import {sleep} from '../support/servers.js'
import {fillMixed} from '../migrate/dataset.js'
import {sourceKeyCount, startHarness, targetKeyCount, type Harness} from '../migrate/harness.js'

const KEYS = 15_000

interface Progress {
  scanned: number
  anyDone: boolean
}

function progress(checkpoint: string): Progress | undefined {
  if (!existsSync(checkpoint)) return undefined
  try {
    const data = JSON.parse(readFileSync(checkpoint, 'utf8')) as {stats: {scanned: number}; sources: Array<{done: boolean}>}
    return {scanned: data.stats.scanned, anyDone: data.sources.some((s) => s.done)}
  } catch {
    return undefined // caught mid-rename
  }
}

/**
 * Holds the target's writes (CLIENT PAUSE WRITE on every master) and lets them through a moment
 * at a time. A copy that finishes within a second on a fast machine then advances a few pages per
 * release, so the test sees its checkpoint mid-copy; and the signal is sent while writes are
 * held, so the copy cannot finish between what the test saw and the signal. The pause lifts by
 * itself after HOLD_LIMIT_MS should the test die holding it.
 */
const HOLD_LIMIT_MS = 10_000
/** time between releases: the migration reads its next pages and queues their writes meanwhile */
const HELD_BETWEEN_RELEASES_MS = 20

function holdTargetWrites(h: Harness) {
  const masters = h.cluster.masters.map((master) => new Redis({host: '127.0.0.1', port: master.port}))
  const all = (...args: string[]) => Promise.all(masters.map((master) => master.call('CLIENT', ...args)))
  return {
    hold: () => all('PAUSE', String(HOLD_LIMIT_MS), 'WRITE'),
    release: () => all('UNPAUSE'),
    close: () => masters.forEach((master) => master.disconnect()),
  }
}

/** Starts a migration, waits until its checkpoint shows some progress, then sends `signal`. */
async function startAndStop(h: Harness, checkpoint: string, signal: NodeJS.Signals): Promise<{code: number | null; stderr: string}> {
  const writes = holdTargetWrites(h)
  const {child, done} = startCli(TWLAB, ['migrate', '--from', h.from, '--to-cluster', h.cluster.address,
    '--checkpoint', checkpoint, '--scan-count', '20', '--no-verify'], {timeoutMs: 120_000})
  let signalled = false
  try {
    await writes.hold()
    const deadline = Date.now() + 60_000
    for (let i = 0; i < 3000 && Date.now() < deadline; i++) {
      const p = progress(checkpoint)
      if (p && p.scanned >= 2000) break
      if (child.exitCode !== null) break
      await writes.release()
      await writes.hold()
      await sleep(HELD_BETWEEN_RELEASES_MS)
    }
    const p = progress(checkpoint)
    assert.ok(p && p.scanned >= 2000 && !p.anyDone, `stopped mid-copy (progress ${JSON.stringify(p)})`)
    child.kill(signal)
    signalled = true
  } finally {
    // After Ctrl-C the pages in flight finish once their writes go through, then the checkpoint is saved.
    await writes.release()
    writes.close()
    if (!signalled && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await done
    }
  }
  const {code, stderr} = await done
  return {code, stderr}
}

async function resume(h: Harness, checkpoint: string) {
  const result = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--resume', '--json',
    '--checkpoint', checkpoint], {timeoutMs: 240_000})
  assert.equal(result.code, 0, result.stderr + result.stdout)
  return JSON.parse(result.stdout).migration
}

describe('twlab migrate --resume', () => {
  let h: Harness

  before(async () => {
    h = await startHarness(2)
    await fillMixed(h.clients[0], 'a', KEYS)
    await fillMixed(h.clients[1], 'b', KEYS)
  })

  after(async () => {
    await h?.stop()
  })

  test('a migration killed mid-copy continues from its checkpoint', async () => {
    const checkpoint = h.checkpoint('killed')
    const killed = await startAndStop(h, checkpoint, 'SIGKILL')
    assert.equal(killed.code, null)
    const partial = await targetKeyCount(h)
    const total = await sourceKeyCount(h)
    assert.ok(partial > 0 && partial < total, `partial copy: ${partial} of ${total}`)

    const again = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--checkpoint', checkpoint])
    assert.notEqual(again.code, 0, 'a fresh start over an unfinished checkpoint is refused')
    assert.match(again.stderr, /--resume/)

    const migration = await resume(h, checkpoint)
    assert.equal(migration.status, 'done')
    assert.equal(migration.resumed, true)
    assert.ok(migration.scannedThisRun < total, `resumed run scanned ${migration.scannedThisRun} of ${total}`)
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    assert.equal(await targetKeyCount(h), total)
    assert.equal(existsSync(checkpoint), false)
  })

  test('Ctrl-C stops cleanly with a checkpoint, and --resume finishes', async () => {
    for (const master of h.cluster.masters) {
      const client = new Redis({host: '127.0.0.1', port: master.port})
      await client.flushall()
      client.disconnect()
    }
    const checkpoint = h.checkpoint('interrupted')
    const stopped = await startAndStop(h, checkpoint, 'SIGINT')
    assert.equal(stopped.code, 130, stopped.stderr)
    assert.match(stopped.stderr, /--resume/)
    const migration = await resume(h, checkpoint)
    assert.equal(migration.status, 'done')
    assert.ok(migration.scannedThisRun < (await sourceKeyCount(h)))
    assert.equal(await targetKeyCount(h), await sourceKeyCount(h))
  })
})
