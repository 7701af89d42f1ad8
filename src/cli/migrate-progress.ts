// Progress on stderr: a cli-progress bar (keys, keys/s, bytes/s, ETA) on a terminal; without one
// (CI logs, pipes) a plain line every few seconds instead of a redrawn bar; nothing when quiet.
import type {SingleBar} from 'cli-progress'
import type {MigrationProgress, ProgressSample} from '../migrate/progress.js'
import {formatBytes} from './format.js'
import {startBar} from './progress-bar.js'
import {barFits, printLine, progressShown} from './terminal/terminal-line.js'

function rate(value: number, seconds: number): number {
  return seconds > 0 ? value / seconds : 0
}

export class ProgressReporter implements MigrationProgress {
  private bar?: SingleBar
  private readonly startedAt = Date.now()
  private lastLine = 0
  private total = 0

  constructor(private readonly mode: 'bar' | 'lines' | 'quiet') {}

  static forStderr(quiet: boolean): ProgressReporter {
    if (quiet || !progressShown()) return new ProgressReporter('quiet')
    return new ProgressReporter(barFits() ? 'bar' : 'lines')
  }

  start(total: number): void {
    this.total = Math.max(total, 1)
    if (this.mode !== 'bar') return
    this.bar?.stop()
    this.bar = startBar('{phase} [{bar}] {percentage}% | {value}/{total} keys | {rate} keys/s | {bytesRate}/s | ETA {eta_formatted}', this.total,
      {phase: 'copy', rate: 0, bytesRate: '0 B'})
  }

  update(sample: ProgressSample): void {
    const seconds = (Date.now() - this.startedAt) / 1000
    const keysPerSecond = Math.round(rate(sample.done, seconds))
    const bytesPerSecond = formatBytes(Math.round(rate(sample.bytes, seconds)))
    if (sample.done > this.total) this.total = sample.done
    if (this.bar) {
      this.bar.setTotal(this.total)
      this.bar.update(sample.done, {phase: sample.phase, rate: keysPerSecond, bytesRate: bytesPerSecond})
      return
    }
    if (this.mode === 'lines' && Date.now() - this.lastLine >= 3000) {
      this.lastLine = Date.now()
      const left = keysPerSecond > 0 ? Math.max(0, Math.round((this.total - sample.done) / keysPerSecond)) : 0
      printLine(`${sample.phase}: ${sample.done}/${this.total} keys, ${keysPerSecond} keys/s, ${bytesPerSecond}/s, ETA ${left}s`)
    }
  }

  /** A line of its own (phase changes, warnings), printed above the bar, which stays drawn. */
  note(message: string): void {
    if (this.mode === 'quiet') return
    printLine(message)
  }

  stop(): void {
    this.bar?.stop()
    this.bar = undefined
  }
}
