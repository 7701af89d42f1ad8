// The progress of slot moves on stderr: on a terminal a bar of keys moved (or slots, when the
// slots hold no keys) with slots done, keys/s and ETA; otherwise a plain line every few seconds;
// nothing under --quiet or --json. An atomic run (the server moves the slots) gives its own ETA,
// read from the server's job states, and the job's phase.
import {barFits, printLine, progressShown} from './terminal/terminal-line.js'
import {etaSeconds, everyFewSeconds, startBar} from './progress-bar.js'

export interface SlotProgress {
  slotsDone: number
  keysMoved: number
  /** the server's own estimate (atomic slot migration) */
  etaSeconds?: number
  /** what the server's jobs are doing (atomic slot migration) */
  phase?: string
}

export interface SlotProgressBar {
  update(progress: SlotProgress): void
  stop(): void
}

export function slotProgressBar(totalSlots: number, totalKeys: number, enabled: boolean): SlotProgressBar {
  if (!enabled || !progressShown()) return {update() {}, stop() {}}
  const byKeys = totalKeys > 0
  const started = Date.now()
  const rate = (keys: number) => {
    const seconds = (Date.now() - started) / 1000
    return seconds > 0 ? Math.round(keys / seconds) : 0
  }
  const etaOf = (progress: SlotProgress) => progress.etaSeconds !== undefined
    ? Math.round(progress.etaSeconds)
    : byKeys ? etaSeconds(progress.keysMoved, totalKeys, started) : etaSeconds(progress.slotsDone, totalSlots, started)
  if (!barFits()) {
    let last: SlotProgress = {slotsDone: 0, keysMoved: 0}
    const line = everyFewSeconds(() => {
      const eta = etaOf(last)
      printLine(`slots ${last.slotsDone}/${totalSlots}, keys ${last.keysMoved}/${totalKeys}, ${rate(last.keysMoved)} keys/s${eta === undefined ? '' : `, ETA ${eta}s`}${last.phase ? `, ${last.phase}` : ''}`)
    })
    return {
      update(progress) {
        last = progress
        line()
      },
      stop() {},
    }
  }
  const bar = byKeys
    ? startBar('keys [{bar}] {percentage}% | {value}/{total} | slots {slots}/{totalSlots} | {rate} keys/s | ETA {eta}{phase}', totalKeys, {slots: 0, totalSlots, rate: 0, eta: '-', phase: ''})
    : startBar('slots [{bar}] {percentage}% | {value}/{total} | ETA {eta}{phase}', totalSlots, {eta: '-', phase: ''})
  return {
    update(progress) {
      const eta = etaOf(progress)
      const payload = {eta: eta === undefined ? '-' : `${eta}s`, phase: progress.phase ? ` | ${progress.phase}` : ''}
      if (byKeys) {
        if (progress.keysMoved > bar.getTotal()) bar.setTotal(progress.keysMoved)
        bar.update(progress.keysMoved, {slots: progress.slotsDone, rate: rate(progress.keysMoved), ...payload})
      }
      else bar.update(progress.slotsDone, payload)
    },
    stop() {
      bar.stop()
    },
  }
}
