// Per-server latency histograms for --metrics: the time from a request being queued to a server
// connection to its reply arriving. Off unless --metrics is given (then each request costs two
// clock reads). Kept beside each server's nutcracker counters, keyed by its ServerStats.
import type {ServerStats} from './stats.js'

/** Bucket upper bounds in seconds (Prometheus `le`), from 100 us to 2.5 s. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

export class LatencyHistogram {
  /** counts per bucket (not cumulative); the last one is +Inf */
  readonly counts = new Float64Array(LATENCY_BUCKETS.length + 1)
  sum = 0
  count = 0

  observe(seconds: number): void {
    let i = 0
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++
    this.counts[i]++
    this.sum += seconds
    this.count++
  }
}

const histograms = new WeakMap<ServerStats, LatencyHistogram>()
let enabled = false

/** --metrics: start measuring (before the proxy's pools are built). */
export function enableLatency(): void {
  enabled = true
}

export function latencyOf(stats: ServerStats): LatencyHistogram {
  let histogram = histograms.get(stats)
  if (histogram === undefined) histograms.set(stats, (histogram = new LatencyHistogram()))
  return histogram
}

/** What a server connection calls with each reply's latency, or undefined when not measuring. */
export function latencyRecorder(): ((stats: ServerStats, ms: number) => void) | undefined {
  if (!enabled) return undefined
  return (stats, ms) => latencyOf(stats).observe(ms / 1000)
}
