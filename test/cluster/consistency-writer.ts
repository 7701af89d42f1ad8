// Runs `twlab check consistency`'s checker (src/check) against a test cluster in the background
// while slots move: INCR/GET through an ioredis Cluster client that follows MOVED and ASK, every
// read compared with what the acknowledged INCRs returned. Bounded by a duration and stopped
// early by abort().
import {runConsistencyCheck, type ConsistencyReport} from '../../src/check/consistency.js'

export interface RunningCheck {
  /** stops the writer and returns its report */
  stop(): Promise<ConsistencyReport>
}

export function startConsistencyCheck(seed: string, maxMs = 180_000): RunningCheck {
  const [host, port] = seed.split(':')
  const abort = new AbortController()
  const running = runConsistencyCheck({
    host, port: Number(port), cluster: true, durationMs: maxMs, keys: 200, concurrency: 8,
    commandTimeoutMs: 5000, keep: false, signal: abort.signal,
  })
  // a failure to start shows up in stop(); do not let it go unhandled meanwhile
  running.catch(() => undefined)
  return {
    async stop() {
      abort.abort()
      return running
    },
  }
}

/** Common assertions: the writer really wrote, and lost nothing it was told was written. */
export function lostWritesOf(report: ConsistencyReport): {writes: number; lostWrites: number; lostKeys: string[]} {
  return {writes: report.writes, lostWrites: report.lostWrites, lostKeys: report.lostKeys}
}
