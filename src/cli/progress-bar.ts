// A progress bar on stderr (cli-progress), drawn only on a terminal: in pipes, CI and --json
// runs it stays silent so stderr carries only what matters.
import cliProgress from 'cli-progress'

export interface ProgressBar {
  /** sets the total once it is known (0 shows an open-ended counter) */
  start(total: number): void
  update(done: number): void
  stop(): void
}

export function progressBar(label: string, options: {enabled?: boolean; unit?: string} = {}): ProgressBar {
  const enabled = (options.enabled ?? true) && Boolean(process.stderr.isTTY) && !process.env.CI
  if (!enabled) return {start() {}, update() {}, stop() {}}
  const unit = options.unit ?? 'keys'
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | {duration_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic)
  let started = 0
  return {
    start(total) {
      started = Date.now()
      bar.start(Math.max(total, 1), 0, {speed: 0})
    },
    update(done) {
      const seconds = (Date.now() - started) / 1000
      if (done > bar.getTotal()) bar.setTotal(done)
      bar.update(done, {speed: seconds > 0 ? Math.round(done / seconds) : 0})
    },
    stop() {
      bar.stop()
    },
  }
}
