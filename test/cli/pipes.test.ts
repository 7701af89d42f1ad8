// Output into pipes: a reader that goes away early (`| head -2`) ends the command quietly with its
// exit code, and a slow reader (`| cat`) draws no listener-leak warning.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {TWLAB} from '../support/cli.js'

const CONFIG = fileURLToPath(new URL('../../../test/cli/two-servers.yml', import.meta.url))
const KEYS = Array.from({length: 200_000}, (_, i) => `key:${i}`).join('\n') + '\n'

function placeKeys(reader: 'head' | 'slow'): Promise<{code: number | null; stderr: string}> {
  const child = spawn(process.execPath, [TWLAB, 'keys', 'where', '--stdin', '-c', CONFIG], {stdio: ['pipe', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
  child.stdin.on('error', () => {}).end(KEYS)
  if (reader === 'head') {
    child.stdout.once('data', () => {
      child.stdout.destroy()
    })
  } else {
    // reads a chunk every few milliseconds, so the writer keeps finding the pipe full
    child.stdout.setEncoding('utf8').on('data', () => {
      child.stdout.pause()
      setTimeout(() => child.stdout.resume(), 2)
    })
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise((resolve) => child.once('close', (code) => {
    clearTimeout(timer)
    resolve({code, stderr})
  }))
}

test('a reader that closes early: exit 0, no EPIPE', async () => {
  const run = await placeKeys('head')
  assert.equal(run.code, 0, run.stderr)
  assert.doesNotMatch(run.stderr, /EPIPE|Error/)
})

test('a slow reader: every key written, no MaxListenersExceededWarning', async () => {
  const run = await placeKeys('slow')
  assert.equal(run.code, 0, run.stderr)
  assert.doesNotMatch(run.stderr, /MaxListenersExceeded/)
  assert.match(run.stderr, /200000 keys placed/)
})
