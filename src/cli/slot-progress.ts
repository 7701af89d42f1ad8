// The progress of slot moves on stderr: on a terminal a bar of keys moved (or slots, when the
// slots hold no keys) with slots done, keys/s and ETA; otherwise a plain line every few seconds;
// nothing under --quiet or --json.
import {barFits, printLine, progressShown} from './terminal/terminal-line.js'
import {etaSeconds, everyFewSeconds, startBar} from './progress-bar.js'

export interface SlotProgressBar {
  update(progress: {slotsDone: number; keysMoved: number}): void
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
  if (!barFits()) {
    let last = {slotsDone: 0, keysMoved: 0}
    const line = everyFewSeconds(() => {
      const eta = byKeys ? etaSeconds(last.keysMoved, totalKeys, started) : etaSeconds(last.slotsDone, totalSlots, started)
      printLine(`slots ${last.slotsDone}/${totalSlots}, keys ${last.keysMoved}/${totalKeys}, ${rate(last.keysMoved)} keys/s${eta === undefined ? '' : `, ETA ${eta}s`}`)
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
    ? startBar('keys [{bar}] {percentage}% | {value}/{total} | slots {slots}/{totalSlots} | {rate} keys/s | ETA {eta_formatted}', totalKeys, {slots: 0, totalSlots, rate: 0})
    : startBar('slots [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}', totalSlots, {})
  return {
    update({slotsDone, keysMoved}) {
      if (byKeys) {
        if (keysMoved > bar.getTotal()) bar.setTotal(keysMoved)
        bar.update(keysMoved, {slots: slotsDone, rate: rate(keysMoved)})
      }
      else bar.update(slotsDone)
    },
    stop() {
      bar.stop()
    },
  }
}
