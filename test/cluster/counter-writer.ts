// A bounded in-test consistency writer: INCRs a fixed set of counters through an ioredis
// Cluster client (which follows MOVED and ASK) while slots move, remembering every increment the
// cluster acknowledged. Afterwards each counter must hold at least its acknowledged count and at
// most the attempted count (a failed INCR may or may not have been applied): anything below means
// an acknowledged write was lost.
import {Redis} from 'ioredis'

export interface WriterReport {
  acknowledged: number
  errors: number
  lost: Array<{key: string; acknowledged: number; found: number}>
  overcounted: Array<{key: string; attempted: number; found: number}>
}

export class ConsistencyWriter {
  private readonly acked = new Map<string, number>()
  private readonly attempted = new Map<string, number>()
  private running = false
  private loop?: Promise<void>
  errors = 0
  readonly errorSamples: string[] = []

  constructor(private readonly client: InstanceType<typeof Redis.Cluster>, private readonly keys = 200, private readonly prefix = 'counter:') {}

  /** Starts writing; stops by itself after maxWrites or maxMs, whichever comes first. */
  start(maxWrites = 200_000, maxMs = 120_000): void {
    this.running = true
    const deadline = Date.now() + maxMs
    this.loop = (async () => {
      for (let i = 0; this.running && i < maxWrites && Date.now() < deadline; i += 20) {
        await Promise.all(Array.from({length: 20}, (_, j) => this.incr(`${this.prefix}${(i + j) % this.keys}`)))
      }
    })()
  }

  private async incr(key: string): Promise<void> {
    this.attempted.set(key, (this.attempted.get(key) ?? 0) + 1)
    try {
      await this.client.incr(key)
      this.acked.set(key, (this.acked.get(key) ?? 0) + 1)
    } catch (error) {
      this.errors++
      if (this.errorSamples.length < 5) this.errorSamples.push((error as Error).message)
    }
  }

  get acknowledged(): number {
    let total = 0
    for (const count of this.acked.values()) total += count
    return total
  }

  async stop(): Promise<void> {
    this.running = false
    await this.loop
  }

  /** Reads every counter back and compares. */
  async verify(): Promise<WriterReport> {
    const report: WriterReport = {acknowledged: this.acknowledged, errors: this.errors, lost: [], overcounted: []}
    for (const [key, attempted] of this.attempted) {
      const found = Number((await this.client.get(key)) ?? 0)
      const acknowledged = this.acked.get(key) ?? 0
      if (found < acknowledged) report.lost.push({key, acknowledged, found})
      if (found > attempted) report.overcounted.push({key, attempted, found})
    }
    return report
  }
}
