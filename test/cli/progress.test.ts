// Bars under a terminal: they show an ETA, Ctrl-C prints its line on a line of its own (the bar
// line wiped first, not "ETA 4s^CStopping..."), the command ends with 130, and the cursor is
// shown again. Without a terminal, or with --quiet, no bar is drawn.
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {plain, runInTerminal} from './terminal.js'
import {twlab} from '../support/cli.js'

const FIXTURE = fileURLToPath(new URL('./bar-fixture.js', import.meta.url))
const CTRL_C = '\x03'

test('Ctrl-C during a bar with a graceful stop: the message gets its own line, exit 130', async () => {
  const run = await runInTerminal([process.execPath, FIXTURE, 'graceful'], {keys: [{when: /ETA/, send: CTRL_C}]})
  assert.equal(run.code, 130)
  assert.match(run.screen, /keys \[.*\] .*slots .*keys\/s \| ETA/, 'the slot bar shows keys, slots, rate and ETA')
  // the line holding the bar (and the echoed ^C) is wiped before the message
  assert.match(run.screen, /\r\x1b\[2KStopping after the slots in flight\.\.\.\r?\n/)
  const lines = plain(run.screen).split('\n')
  assert.ok(lines.some((line) => line.replace(/^.*\r/, '') === 'Stopping after the slots in flight...'), plain(run.screen))
  assert.match(run.screen, /\x1b\[\?25h/, 'the cursor is shown again')
  assert.match(plain(run.screen), /\nMoved only some slots\.\r?\n/, 'what follows the bar starts on a fresh line')
})

test('Ctrl-C during a pool bar with no graceful stop: one line, exit 130, cursor back', async () => {
  const run = await runInTerminal([process.execPath, FIXTURE, 'pool'], {keys: [{when: /ETA/, send: CTRL_C}]})
  assert.equal(run.code, 130)
  assert.match(run.screen, /moving \[.*\] .*scanned \d+\/100000 \| moved \d+ \| \d+ keys\/s \| ETA/)
  assert.match(run.screen, /\x1b\[\?25h/)
  assert.match(plain(run.screen), /(^|\n)Interrupted\.\r?\n?$/)
})

test('--quiet: notes stay off, results still print', async () => {
  const config = fileURLToPath(new URL('../../../test/cli/two-servers.yml', import.meta.url))
  const loud = await twlab(['keys', 'where', '--stdin', '-c', config], {input: 'a\nb\n'})
  const quiet = await twlab(['keys', 'where', '--stdin', '-c', config, '--quiet'], {input: 'a\nb\n'})
  assert.equal(loud.code, 0)
  assert.equal(quiet.code, 0)
  assert.match(loud.stderr, /2 keys placed/)
  assert.equal(quiet.stderr, '')
  assert.equal(quiet.stdout, loud.stdout)
})
