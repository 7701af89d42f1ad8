// The line of stderr a progress bar redraws. Anything else printed while a bar is up (a note, the
// Ctrl-C message, an error) must first wipe that line, or the two mix ("ETA 4s^CStopping...");
// and a process that ends while a bar is drawn must leave the cursor visible on a fresh line, not
// the bar under the shell's prompt. Bars register here; printers and exits go through here.

export interface DrawnBar {
  /** draws the bar again after something was printed above it */
  redraw(): void
  /** ends the bar on its own line (cursor shown), as on a normal finish */
  end(): void
}

const bars = new Set<DrawnBar>()
let exitHookInstalled = false

const CLEAR_LINE = '\r\x1b[2K'
const SHOW_CURSOR = '\x1b[?25h'

/**
 * Ctrl-C while a bar is drawn and no command-specific rule (interrupt.ts) is installed: Node would
 * die on the signal mid-line with the cursor hidden. End the bar, say so on one line, exit 130.
 */
function interruptedDuringBar(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return // a graceful stop (interrupt.ts) decides
  endBars()
  process.stderr.write('Interrupted.\n')
  process.exit(130)
}

/** Registers a bar that is being drawn; returns the function that unregisters it. */
export function barDrawn(bar: DrawnBar): () => void {
  bars.add(bar)
  if (bars.size === 1) {
    process.on('SIGINT', interruptedDuringBar)
    process.on('SIGTERM', interruptedDuringBar)
  }
  if (!exitHookInstalled) {
    exitHookInstalled = true
    // process.exit() (a second Ctrl-C, an early exit) skips every finally: end the bars here
    process.on('exit', () => {
      if (bars.size > 0) process.stderr.write(`${CLEAR_LINE}${SHOW_CURSOR}`)
      bars.clear()
    })
  }
  return () => {
    bars.delete(bar)
    if (bars.size === 0) {
      process.off('SIGINT', interruptedDuringBar)
      process.off('SIGTERM', interruptedDuringBar)
    }
  }
}

export function barIsDrawn(): boolean {
  return bars.size > 0
}

/** Prints `message` on stderr on a line of its own, above any bar, which is then drawn again. */
export function printLine(message: string): void {
  if (bars.size === 0) {
    process.stderr.write(`${message}\n`)
    return
  }
  // the terminal echoed ^C (or the bar is half drawn) on this line: wipe it, print, redraw below
  process.stderr.write(`${CLEAR_LINE}${message}\n`)
  for (const bar of bars) bar.redraw()
}

/** Ends every bar on its own line (before an error or a prompt is printed). */
export function endBars(): void {
  for (const bar of [...bars]) bar.end()
}

let progressHidden = false

/** --quiet (and --json) turn progress off for the whole run; bars and progress lines ask here. */
export function hideProgress(hidden: boolean): void {
  progressHidden = hidden
}

/** Whether progress may be shown at all (a bar additionally needs stderr to be a terminal). */
export function progressShown(): boolean {
  return !progressHidden
}

/** Whether a redrawn bar fits: progress shown, stderr a terminal, not a CI log. */
export function barFits(): boolean {
  return !progressHidden && process.stderr.isTTY === true && !process.env.CI
}
