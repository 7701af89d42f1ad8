// What users get when a lab cannot start: one sentence, exit 1, and nothing half-started.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {makeLabHome, pickBasePort, type LabHome} from '../lab/support.js'
import {followFiles} from '../../src/lab/logs.js'

/** pids of processes whose command line mentions one of `ports` (redis titles itself host:port). */
function pidsOnPorts(ports: number[]): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0]
      if (state !== 'Z' && ports.some((port) => commandLine.includes(`:${port}`))) found.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return found
}

describe('lab failures', () => {
  let lab: LabHome
  before(() => {
    lab = makeLabHome()
  })
  after(async () => {
    await lab.cleanup()
  })

  test('a missing redis-server is named, with how to install it', async () => {
    const empty = join(lab.home, 'empty-bin')
    mkdirSync(empty)
    const result = await lab.run(['up', '--redis-bin', empty, '--proxy', 'none'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /redis-server was not found in .*empty-bin\./)
    assert.match(result.stderr, /apt-get install redis-server/)
    assert.equal(existsSync(join(lab.home, 'labs', 'default')), false)
  })

  test('a node that dies at start stops the ones already started and removes the lab', async () => {
    const basePort = await pickBasePort()
    const badPort = basePort + 12 // m3
    const bin = join(lab.home, 'flaky-bin')
    mkdirSync(bin)
    const wrapper = join(bin, 'redis-server')
    writeFileSync(wrapper, `#!/bin/sh\nif grep -q "^port ${badPort}$" "$1"; then echo "simulated failure on ${badPort}" >> "$(dirname "$1")/redis.log"; exit 1; fi\nexec redis-server "$@"\n`)
    chmodSync(wrapper, 0o755)
    const result = await lab.run(['up', '--redis-bin', bin, '--proxy', 'none', '--name', 'flaky', '--base-port', String(basePort)])
    assert.equal(result.code, 1)
    assert.match(result.stderr, new RegExp(`m3 \\(redis-server on port ${badPort}\\) exited at start: simulated failure`))
    assert.equal(existsSync(join(lab.home, 'labs', 'flaky')), false)
    assert.deepEqual(pidsOnPorts([basePort + 10, basePort + 11, badPort]), [])
  })

  test('doctor reports the binaries it found', async () => {
    const result = await lab.run(['doctor', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const doctor = JSON.parse(result.stdout)
    assert.equal(doctor.ok, true)
    assert.match(doctor.checks.find((c: {name: string}) => c.name === 'redis-server').detail, /v=\d/)
  })

  test('status, logs and down name the lab that is missing', async () => {
    for (const command of ['status', 'logs', 'down', 'kill m1']) {
      const result = await lab.run([...command.split(' '), '--name', 'ghost'])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /There is no lab named "ghost"/)
    }
  })

  test('following logs sees lines appended after it started', async () => {
    const file = join(lab.home, 'follow.log')
    writeFileSync(file, 'old line\n')
    const seen: string[] = []
    const controller = new AbortController()
    const following = followFiles([{label: 'x', file}], (label, line) => {
      seen.push(`${label}:${line}`)
      if (seen.length === 2) controller.abort()
    }, controller.signal, 20)
    setTimeout(() => writeFileSync(file, 'old line\nnew one\npartial', {flag: 'w'}), 50)
    setTimeout(() => writeFileSync(file, ' done\n', {flag: 'a'}), 150)
    const timer = setTimeout(() => controller.abort(), 5000)
    await following
    clearTimeout(timer)
    assert.deepEqual(seen, ['x:new one', 'x:partial done'])
  })
})
