// A stand-in for long work with a progress bar, run by the progress tests under a terminal:
// `graceful` installs the Ctrl-C rule of long commands (interrupt.ts) around a slot-move bar,
// `pool` draws a pool change's bar with nothing else installed. Ends by itself after 20 s.
import {onInterrupt} from '../../src/cli/interrupt.js'
import {poolProgress} from '../../src/cli/terminal/pool-progress.js'
import {slotProgressBar} from '../../src/cli/slot-progress.js'
import {printLine} from '../../src/cli/terminal/terminal-line.js'

const mode = process.argv[2]
const deadline = Date.now() + 20_000
const tick = () => new Promise((resolve) => setTimeout(resolve, 50))

if (mode === 'graceful') {
  const stop = onInterrupt(() => printLine('Stopping after the slots in flight...'))
  const bar = slotProgressBar(1000, 100_000, true)
  let done = 0
  while (!stop.stopRequested() && Date.now() < deadline) {
    done++
    bar.update({slotsDone: done, keysMoved: done * 10})
    await tick()
  }
  bar.stop()
  stop.remove()
  printLine('Moved only some slots.')
  process.exitCode = 130
} else if (mode === 'pool') {
  const progress = poolProgress(true)
  progress.expect(100_000)
  let scanned = 0
  while (Date.now() < deadline) {
    scanned += 10
    progress.update({scanned, moved: scanned / 2, kept: 0, pairs: []})
    await tick()
  }
  progress.stop()
}
