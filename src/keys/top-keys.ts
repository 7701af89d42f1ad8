// The N largest keys seen so far, in bounded memory: a candidate list trimmed back to N
// whenever it doubles, so a scan of millions of keys keeps at most 2N.

export interface SizedKey {
  key: Buffer
  node: string
  bytes: number
}

export class TopKeys {
  private entries: SizedKey[] = []
  /** the smallest size still in the top N once the list has been trimmed */
  private floor = -1

  constructor(private readonly limit: number) {}

  offer(key: Buffer, node: string, bytes: number): void {
    if (this.limit <= 0 || bytes <= this.floor) return
    this.entries.push({key: Buffer.from(key), node, bytes})
    if (this.entries.length >= this.limit * 2) this.trim()
  }

  sorted(): SizedKey[] {
    this.trim()
    return [...this.entries]
  }

  private trim(): void {
    this.entries.sort((a, b) => b.bytes - a.bytes)
    this.entries.length = Math.min(this.entries.length, this.limit)
    if (this.entries.length === this.limit) this.floor = this.entries[this.limit - 1].bytes
  }
}
