// Beside nutcracker: each signal is logged as nutcracker's handler logs it (log_safe's row of
// dots, the same words), SIGSEGV dies by the signal after the stack; and a pipeline of five
// 16 MiB SETs through a pool with `timeout: 400` succeeds where nutcracker's does.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {sleep, stopAll} from '../support/servers.js'
import {resp, startTwin, type Twin} from './harness.js'

let twin: Twin

/** The lines log_safe wrote (signals), in order. */
function signalLines(logFile: string): string[] {
  return readFileSync(logFile, 'utf8').split('\n').filter((line) => line.startsWith('[.......................]'))
}

/** Sends `request` and counts replies ending in CRLF until `count` arrived (bounded). */
function pipeline(port: number, request: Buffer, until: string, maxMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({host: '127.0.0.1', port})
    let text = ''
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(text)
    }
    const timer = setTimeout(finish, maxMs)
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1')
      if (text === until || text.length >= until.length) finish()
    })
    socket.on('close', finish)
    socket.on('error', finish)
    socket.write(request)
  })
}

describe('signals and big pipelines: twproxy as nutcracker', () => {
  before(async () => {
    twin = await startTwin([{name: 'alpha', servers: 2, settings: ['redis: true', 'timeout: 400']}])
  })
  after(async () => {
    await twin.stop()
    await stopAll()
  })

  test('a pipeline of five 16 MiB SETs with timeout: 400', async () => {
    const value = Buffer.alloc(16 * 1024 * 1024, 'v')
    const request = Buffer.concat(Array.from({length: 5}, (_, i) => resp('SET', `big:${i}`, value)))
    const want = '+OK\r\n'.repeat(5)
    const nutcracker = await pipeline(twin.ports.nutcracker.alpha, request, want, 20_000)
    const twproxy = await pipeline(twin.ports.twproxy.alpha, request, want, 20_000)
    assert.equal(nutcracker, want)
    assert.equal(twproxy, nutcracker)
  })

  test('SIGTTIN, SIGTTOU, SIGHUP, SIGUSR2 and SIGSEGV are logged as nutcracker logs them', async () => {
    const nutcrackerLog = join(twin.nutcracker.dir, 'nutcracker.log')
    const proxies = [{pid: twin.nutcracker.pid, log: nutcrackerLog}, {pid: twin.twproxy.pid, log: twin.twproxy.logFile}]
    for (const signal of ['SIGTTIN', 'SIGTTOU', 'SIGHUP', 'SIGUSR2'] as const) {
      for (const proxy of proxies) process.kill(proxy.pid, signal)
      await sleep(150)
    }
    const exits = [twin.nutcracker.child, twin.twproxy.child].map((child) => new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal))))
    for (const proxy of proxies) process.kill(proxy.pid, 'SIGSEGV')
    const [nutcrackerExit, twproxyExit] = await Promise.all(exits)
    const nutcracker = signalLines(nutcrackerLog)
    assert.deepEqual(nutcracker.slice(0, 7), [
      '[.......................] signal 21 (SIGTTIN) received, up logging level',
      '[.......................] up log level to 6',
      '[.......................] signal 22 (SIGTTOU) received, down logging level',
      '[.......................] down log level to 5',
      '[.......................] signal 1 (SIGHUP) received, reopening log file',
      '[.......................] signal 12 (SIGUSR2) received',
      '[.......................] signal 11 (SIGSEGV) received, core dumping',
    ])
    assert.deepEqual(signalLines(twin.twproxy.logFile), nutcracker)
    assert.equal(nutcrackerExit, 'SIGSEGV')
    assert.equal(twproxyExit, 'SIGSEGV')
  })
})
