// Which proxy runs a pool, told from its pid or pid file: twproxy (reloaded), nutcracker (a restart
// step is printed), or anything else (refused). Idle node processes started under the proxies'
// names stand in for them, so no proxy has to run.
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {proxyFromPid} from '../../src/pool/proxy.js'
import {readPidFile} from '../../src/targets/proxy-process.js'
import {stopPid, tempDir, waitUntil} from '../support/servers.js'

const started: ChildProcess[] = []
const dir = tempDir('twlab-proxy-pid-')
const idle = join(dir, 'idle.js')
writeFileSync(idle, 'setTimeout(() => {}, 60_000)\n')

/** An idle process whose command line is `name idle.js ...args`. */
async function named(name: string, ...args: string[]): Promise<number> {
  const child = spawn(process.execPath, [idle, ...args], {argv0: name, stdio: 'ignore'})
  started.push(child)
  await waitUntil(() => {
    try {
      return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').startsWith(name)
    } catch {
      return false
    }
  }, `${name} to start`, 5000, 20)
  return child.pid!
}

after(async () => {
  for (const child of started) await stopPid(child)
  rmSync(dir, {recursive: true, force: true})
})

describe('the proxy of a pool change', () => {
  test('twproxy is reloaded; nutcracker gets its own command line as the restart step', async () => {
    const twproxy = await named('twproxy', '-c', 'conf/nutcracker.yml')
    assert.deepEqual(proxyFromPid(twproxy), {kind: 'twproxy', pid: twproxy})
    const nutcracker = await named('nutcracker', '-c', 'my conf.yml', '-d')
    assert.deepEqual(proxyFromPid(nutcracker), {kind: 'nutcracker', pid: nutcracker, restartStep: `kill -TERM ${nutcracker} && nutcracker ${idle} -c 'my conf.yml' -d`})
  })

  test('another program, or no process, is refused with the flag to fix it', async () => {
    const other = await named('redis-cli', 'monitor')
    assert.throws(() => proxyFromPid(other), new RegExp(`Process ${other} \\(redis-cli\\) is neither twproxy nor nutcracker`))
    assert.throws(() => proxyFromPid(2 ** 22 + 1), /No process has pid 4194305: pass the running proxy's pid with --proxy-pid/)
  })

  test('pid files', () => {
    writeFileSync(join(dir, 'ok.pid'), '4242\n')
    writeFileSync(join(dir, 'bad.pid'), 'nope\n')
    assert.equal(readPidFile(join(dir, 'ok.pid')), 4242)
    assert.throws(() => readPidFile(join(dir, 'bad.pid')), /does not hold a pid/)
    assert.throws(() => readPidFile(join(dir, 'missing.pid')), /cannot be read: pass the proxy's -p file/)
  })
})
