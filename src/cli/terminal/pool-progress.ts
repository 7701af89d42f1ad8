// The progress of a pool change's key move on stderr: on a terminal a bar of keys scanned on the
// old servers (against the count made before asking, when there was one) with keys moved, keys/s
// and ETA; otherwise a plain line every few seconds; nothing under --quiet or --json.
import type cliProgress from 'cli-progress'
import type {MoveTotals} from '../../pool/move.js'
import {etaSeconds, everyFewSeconds, startBar} from '../progress-bar.js'
import {barFits, printLine, progressShown} from './terminal-line.js'

export interface PoolProgress {
  /** the keys the old servers held when counted (0: not counted, --yes) */
  expect(scanned: number): void
  update(totals: MoveTotals): void
  stop(): void
}

export function poolProgress(enabled: boolean): PoolProgress {
  let expected = 0
  let started = 0
  const keysPerSecond = (keys: number) => {
    const seconds = (Date.now() - started) / 1000
    return seconds > 0 ? Math.round(keys / seconds) : 0
  }
  if (!enabled || !progressShown()) return {expect() {}, update() {}, stop() {}}
  if (!barFits()) {
    let last: MoveTotals | undefined
    const line = everyFewSeconds(() => {
      if (!last) return
      const eta = expected > 0 ? etaSeconds(last.scanned, expected, started) : undefined
      printLine(`moving: scanned ${last.scanned}${expected > 0 ? `/${expected}` : ''}, moved ${last.moved}, ${keysPerSecond(last.scanned)} keys/s${eta === undefined ? '' : `, ETA ${eta}s`}`)
    })
    return {
      expect: (scanned) => (expected = scanned),
      update(totals) {
        if (started === 0) started = Date.now()
        last = totals
        line()
      },
      stop() {},
    }
  }
  let bar: cliProgress.SingleBar | undefined
  return {
    expect: (scanned) => (expected = scanned),
    update(totals) {
      if (!bar) {
        started = Date.now()
        bar = expected > 0
          ? startBar('moving [{bar}] {percentage}% | scanned {value}/{total} | moved {moved} | {rate} keys/s | ETA {eta_formatted}', expected, {moved: 0, rate: 0})
          : startBar('moving | scanned {value} | moved {moved} | {rate} keys/s | {duration_formatted}', 0, {moved: 0, rate: 0})
      }
      if (totals.scanned > bar.getTotal()) bar.setTotal(totals.scanned)
      bar.update(totals.scanned, {moved: totals.moved, rate: keysPerSecond(totals.scanned)})
    },
    stop() {
      bar?.stop()
      bar = undefined
    },
  }
}
