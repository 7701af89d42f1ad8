import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {spawn, type ChildProcess} from 'node:child_process'
import {tempDir} from '../support/servers.js'
import {isRunning, listLabs, loadLab, writeState, type LabState} from '../../src/lab/state.js'
import {labDir} from '../../src/lab/home.js'
import {isUserError} from '../../src/errors.js'

const FAKE_CONFIG = '/nonexistent/twlab-state-test/redis.conf'

function sampleLab(name: string, pid: number): LabState {
  const dir = labDir(name)
  return {
    version: 1, name, topology: 'pool', createdAt: new Date().toISOString(), dir, host: '127.0.0.1',
    basePort: 21000, masters: 1, replicas: 0, status: 'running',
    proxy: {kind: 'none', configFile: `${dir}/nutcracker.yml`, pool: 'alpha', hash: 'fnv1a_64', distribution: 'ketama'},
    nodes: [{name: 'm1', role: 'master', host: '127.0.0.1', port: 21010, pid, configFile: FAKE_CONFIG, logFile: '', dataDir: '', launch: {bin: 'redis-server', args: []}}],
  }
}

describe('lab state', () => {
  let home: string
  // a live process whose command line names the node's config file, as nutcracker's would
  let node: ChildProcess
  const saved = process.env.TWLAB_HOME
  before(() => {
    home = tempDir('twlab-state-')
    process.env.TWLAB_HOME = home
    node = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', FAKE_CONFIG], {stdio: 'ignore'})
  })
  after(() => {
    node.kill('SIGKILL')
    if (saved === undefined) delete process.env.TWLAB_HOME
    else process.env.TWLAB_HOME = saved
    rmSync(home, {recursive: true, force: true})
  })

  test('an empty home has no labs and loadLab says how to start one', () => {
    assert.deepEqual(listLabs(), [])
    assert.throws(() => loadLab(), (error: unknown) => isUserError(error) && /twlab up/.test(error.hint ?? ''))
  })

  test('writes, lists and loads labs with liveness from their pids', () => {
    writeState(sampleLab('one', node.pid as number))
    writeState(sampleLab('two', 2 ** 22 + 12345))
    // a live pid that is not the node's process (pid reuse) does not count as alive
    writeState({...sampleLab('reused', process.pid)})
    const labs = listLabs()
    assert.deepEqual(labs.map((lab) => lab.name), ['one', 'reused', 'two'])
    assert.equal(labs[0].nodes[0].alive, true)
    assert.equal(labs[1].nodes[0].alive, false)
    assert.equal(labs[2].nodes[0].alive, false)
    assert.equal(isRunning(labs[0]), true)
    assert.equal(isRunning(labs[2]), false)
    // without a name: the only running lab
    assert.equal(loadLab().name, 'one')
    assert.equal(loadLab('two').name, 'two')
  })

  test('unknown, invalid and ambiguous names are user errors', () => {
    assert.throws(() => loadLab('nope'), (error: unknown) => isUserError(error) && /no lab named "nope"/.test(error.message))
    assert.throws(() => loadLab('../etc'), (error: unknown) => isUserError(error) && /not a valid lab name/.test(error.message))
    writeState(sampleLab('three', node.pid as number))
    assert.throws(() => loadLab(), (error: unknown) => isUserError(error) && /--lab/.test(error.message))
  })
})
