// Progress on stderr for long work: a redrawn bar with rate and ETA on a terminal (cli-progress),
// a plain line every few seconds otherwise (CI logs, pipes), nothing under --quiet or --json.
// Every bar registers its line with terminal-line.ts, so notes, Ctrl-C and errors print above it
// and an early exit never leaves it under the shell's prompt.
import cliProgress from 'cli-progress'
import {barDrawn, barFits, printLine, progressShown} from './terminal/terminal-line.js'

export interface ProgressBar {
  /** sets the total once it is known (0 shows an open-ended counter) */
  start(total: number): void
  update(done: number): void
  stop(): void
}

/** Seconds between two plain progress lines when no bar can be drawn. */
const LINE_EVERY_MS = 3000

/** A started cli-progress bar on stderr, registered as the bar line until stopped. */
export function startBar(format: string, total: number, payload: Record<string, unknown>, options: {clearOnComplete?: boolean} = {}): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format,
    hideCursor: true,
    clearOnComplete: options.clearOnComplete ?? false,
    // redrawn on every tick, so a line printed above it (note, Ctrl-C) is followed by the bar again
    forceRedraw: true,
    fps: 5,
    etaBuffer: 50,
    etaAsynchronousUpdate: true,
    // our own Ctrl-C rule (interrupt.ts) decides what SIGINT does; terminal-line ends the bar
    gracefulExit: false,
  }, cliProgress.Presets.shades_classic)
  const forget = barDrawn({redraw() {}, end: () => bar.stop()})
  const stop = bar.stop.bind(bar)
  bar.stop = () => {
    forget()
    stop()
  }
  bar.start(Math.max(total, 1), 0, payload)
  return bar
}

/**
 * Calls `print` at the first sample (a log shows at once that the work started) and then at most
 * once every few seconds: progress for logs, where a bar cannot be redrawn.
 */
export function everyFewSeconds(print: () => void): () => void {
  let last = 0
  return () => {
    if (Date.now() - last < LINE_EVERY_MS) return
    last = Date.now()
    print()
  }
}

/** Seconds left at the rate so far, for plain lines ("ETA 12s"); undefined before any progress. */
export function etaSeconds(done: number, total: number, startedAt: number): number | undefined {
  const seconds = (Date.now() - startedAt) / 1000
  if (done <= 0 || seconds <= 0 || total <= done) return done >= total && total > 0 ? 0 : undefined
  return Math.round((total - done) / (done / seconds))
}

export function progressBar(label: string, options: {enabled?: boolean; unit?: string} = {}): ProgressBar {
  if (options.enabled === false || !progressShown()) return {start() {}, update() {}, stop() {}}
  const unit = options.unit ?? 'keys'
  let started = Date.now()
  let total = 0
  if (!barFits()) {
    let done = 0
    const line = everyFewSeconds(() => {
      const eta = etaSeconds(done, total, started)
      printLine(`${label}: ${done}${total > 0 ? `/${total}` : ''} ${unit}${eta === undefined ? '' : `, ETA ${eta}s`}`)
    })
    return {
      start(t) {
        started = Date.now()
        total = t
      },
      update(d) {
        done = d
        line()
      },
      stop() {},
    }
  }
  let bar: cliProgress.SingleBar | undefined
  return {
    start(t) {
      started = Date.now()
      bar = startBar(`${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`, t, {speed: 0}, {clearOnComplete: true})
    },
    update(done) {
      if (!bar) return
      const seconds = (Date.now() - started) / 1000
      if (done > bar.getTotal()) bar.setTotal(done)
      bar.update(done, {speed: seconds > 0 ? Math.round(done / seconds) : 0})
    },
    stop() {
      bar?.stop()
      bar = undefined
    },
  }
}
