// The progress bar of slot moves on stderr (slots done, keys moved, keys per second). Drawn only
// on a terminal; silent under --json or when stderr is piped.
import cliProgress from 'cli-progress'

export interface SlotProgressBar {
  update(progress: {slotsDone: number; keysMoved: number; etaSeconds?: number; phase?: string}): void
  stop(): void
}

export function slotProgressBar(totalSlots: number, totalKeys: number, enabled: boolean): SlotProgressBar {
  if (!enabled || !process.stderr.isTTY) return {update() {}, stop() {}}
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: 'slots {bar} {value}/{total} | keys {keys}/{totalKeys} | {rate} keys/s | {duration_formatted} | ETA {eta}{phase}',
    hideCursor: true,
    fps: 10,
  }, cliProgress.Presets.shades_classic)
  const started = Date.now()
  bar.start(totalSlots, 0, {keys: 0, totalKeys, rate: 0, eta: '-', phase: ''})
  return {
    update({slotsDone, keysMoved, etaSeconds, phase}) {
      const seconds = (Date.now() - started) / 1000
      // atomic runs say their ETA from the server's job states; MIGRATE runs from slots done so far
      const eta = etaSeconds ?? (slotsDone > 0 ? (seconds * (totalSlots - slotsDone)) / slotsDone : undefined)
      bar.update(slotsDone, {keys: keysMoved, rate: seconds > 0 ? Math.round(keysMoved / seconds) : 0,
        eta: eta === undefined ? '-' : `${eta.toFixed(1)}s`, phase: phase ? ` | ${phase}` : ''})
    },
    stop() {
      bar.stop()
    },
  }
}
