// Every failure reads the same way: with --json one small object on stdout, otherwise one sentence
// (and a hint) on stderr; exit 1 on a failure, 2 on a usage error, with or without --json; no
// stack trace; red only on a terminal and never with NO_COLOR.
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {twlab} from '../support/cli.js'
import {runInTerminal} from './terminal.js'
import {TWLAB} from '../support/cli.js'

const CONFIG = fileURLToPath(new URL('../../../test/cli/two-servers.yml', import.meta.url))

function jsonError(stdout: string): {code: string; message: string; hint?: string; exitCode: number} {
  assert.ok(stdout.length < 600, `a small object, not ${stdout.length} bytes`)
  const parsed = JSON.parse(stdout) as {error: {code: string; message: string; hint?: string; exitCode: number}}
  assert.deepEqual(Object.keys(parsed), ['error'])
  return parsed.error
}

function assertNoStack(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, 'no stack trace')
  assert.doesNotMatch(text, /node_modules|\/dist\//, 'no paths of the install')
}

test('a missing required argument: exit 2 with and without --json, one small JSON object', async () => {
  const json = await twlab(['servers', 'rm', '--json'])
  assert.equal(json.code, 2)
  assert.equal(json.stderr, '')
  const error = jsonError(json.stdout)
  assert.equal(error.code, 'usage')
  assert.equal(error.exitCode, 2)
  assert.match(error.message, /Missing 1 required arg: name/)
  const text = await twlab(['servers', 'rm'])
  assert.equal(text.code, 2)
  assert.equal(text.stdout, '')
  assert.match(text.stderr, /^Error: Missing 1 required arg: name .*\nSee twlab servers rm --help\.\n$/)
})

test('unknown flags and missing arguments are usage errors too', async () => {
  for (const argv of [['keys', 'where', '--bogus'], ['start'], ['keys', 'where', 'k', '--pool']]) {
    const json = await twlab([...argv, '--json'])
    assert.equal(json.code, 2, argv.join(' '))
    assert.equal(jsonError(json.stdout).code, 'usage')
    const text = await twlab(argv)
    assert.equal(text.code, 2, argv.join(' '))
    assert.equal(text.stderr.trim().split('\n').length, 2, text.stderr)
    assertNoStack(text.stderr)
  }
})

test('a mistake the user can fix: exit 1 with and without --json, the hint kept', async () => {
  const json = await twlab(['keys', 'where', '-c', CONFIG, '--json'])
  assert.equal(json.code, 1)
  const error = jsonError(json.stdout)
  assert.equal(error.code, 'failed')
  assert.equal(error.message, 'No keys given.')
  assert.match(error.hint ?? '', /--stdin/)
  const text = await twlab(['keys', 'where', '-c', CONFIG])
  assert.equal(text.code, 1)
  assert.match(text.stderr, /^Error: No keys given\.\n.*--stdin/)
  assertNoStack(text.stderr)
})

test('errors are red on a terminal, plain with NO_COLOR and in pipes', async () => {
  const terminal = await runInTerminal([process.execPath, TWLAB, 'servers', 'rm'])
  assert.equal(terminal.code, 2)
  assert.match(terminal.screen, /\x1b\[31mError: Missing 1 required arg: name/)
  const noColour = await runInTerminal([process.execPath, TWLAB, 'servers', 'rm'], {env: {NO_COLOR: '1'}})
  assert.equal(noColour.code, 2)
  assert.doesNotMatch(noColour.screen, /\x1b\[3\dm/)
  assert.match(noColour.screen, /Error: Missing 1 required arg: name/)
  const piped = await twlab(['servers', 'rm'])
  assert.doesNotMatch(piped.stderr, /\x1b\[/)
})
