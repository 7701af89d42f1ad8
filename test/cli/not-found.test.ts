// Did-you-mean: the closest full command. Without a terminal it is printed as a usage error
// (exit 2, one line); on a terminal Enter runs it with the original arguments, Ctrl-C ends with
// one line and exit 130.
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {closestCommand, editDistance} from '../../src/cli/failure/suggest.js'
import {TWLAB, twlab} from '../support/cli.js'
import {plain, runInTerminal} from './terminal.js'

const CONFIG = fileURLToPath(new URL('../../../test/cli/two-servers.yml', import.meta.url))

test('closeness counts a swap of neighbours as one edit, and keeps the words after the command', () => {
  assert.equal(editDistance('stauts', 'status'), 1)
  assert.equal(editDistance('stauts', 'start'), 2)
  assert.deepEqual(closestCommand(['stauts'], ['start', 'status', 'stop']), {command: 'status', wordsUsed: 1, distance: 1})
  assert.deepEqual(closestCommand(['keys', 'wher', 'foo', '-c', 'x'], ['keys where', 'keys dist', 'status']), {command: 'keys where', wordsUsed: 2, distance: 1})
  assert.equal(closestCommand(['blargh'], ['status', 'start']), undefined)
})

test('without a terminal: the suggestion on one line of stderr, exit 2', async () => {
  const run = await twlab(['stauts'])
  assert.equal(run.code, 2)
  assert.equal(run.stdout, '')
  assert.equal(run.stderr, 'Error: "stauts" is not a twlab command. Did you mean "twlab status"?\n')
  const keys = await twlab(['keys', 'wher', 'foo'])
  assert.equal(keys.code, 2)
  assert.match(keys.stderr, /Did you mean "twlab keys where"\?/)
  const json = await twlab(['stauts', '--json'])
  assert.equal(json.code, 2)
  assert.deepEqual(JSON.parse(json.stdout), {error: {code: 'usage', message: '"stauts" is not a twlab command. Did you mean "twlab status"?', exitCode: 2}})
  const nothingClose = await twlab(['blargh'])
  assert.equal(nothingClose.code, 2)
  assert.match(nothingClose.stderr, /"blargh" is not a twlab command\.\nRun twlab help/)
})

test('on a terminal, Enter runs the suggestion with the original arguments', async () => {
  const run = await runInTerminal([process.execPath, TWLAB, 'keys', 'wher', 'foo', '-c', CONFIG], {keys: [{when: /Did you mean/, send: '\r'}]})
  assert.equal(run.code, 0, plain(run.screen))
  assert.match(plain(run.screen), /│ foo +│ alpha/)
  assert.doesNotMatch(run.screen, /No keys given|Missing/)
})

test('on a terminal, Ctrl-C at the prompt: one line, exit 130', async () => {
  const run = await runInTerminal([process.execPath, TWLAB, 'stauts'], {keys: [{when: /Did you mean/, send: '\x03'}]})
  assert.equal(run.code, 130)
  assert.doesNotMatch(run.screen, /ExitPromptError|^\s+at /m)
  assert.match(plain(run.screen), /\nCancelled: nothing was done\.\r?\n?$/)
})
