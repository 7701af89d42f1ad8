// Online mode: every change on every source, as it happens. Keyspace notifications are switched
// on (CONFIG SET notify-keyspace-events, keeping what was already enabled, put back afterwards)
// and a subscriber per source records each changed key as dirty BEFORE the scan starts, so a key
// written at any time during the copy is re-copied afterwards. Redis drops a subscriber whose
// output buffer overflows: that is detected and reported as `lost`, and the caller falls back to
// a full comparison (verify + repair) for that source.
import type {Redis} from 'ioredis'
import {formatAddress} from '../../address.js'
import {keyFromId, keyId} from '../../key-text.js'
import {sourceClient, type Source} from '../source/sources.js'
import type {CaptureReport, ChangeCapture} from './change-capture.js'

// E: keyevent channels (the key is the message, so binary keys arrive intact); A: every class
// of change (generic, string, list, set, hash, zset, stream, expired, evicted).
const NEEDED = ['E', 'A']

function withNeeded(current: string): string {
  let flags = current
  for (const flag of NEEDED) if (!flags.includes(flag)) flags += flag
  return flags
}

interface Subscription {
  source: Source
  subscriber: Redis
  saved: string
}

export class ChangeFeed implements ChangeCapture {
  readonly mode = 'notifications' as const
  /** the SCAN copy reads the data; this feed only says which keys changed */
  readonly copiesSnapshot = false
  /** dirty key id -> when it was first seen dirty (ms) */
  private readonly dirty = new Map<string, number>()
  private subscriptions: Subscription[] = []
  private stopping = false
  /** when the last change arrived */
  lastChangeAt = Date.now()
  /** sources whose subscriber dropped: changes there may have been missed */
  readonly lost = new Set<string>()
  events = 0
  /** what the run's result says of this capture (why it was chosen, when it is the fallback) */
  readonly notes: string[] = []

  constructor(private readonly sources: Source[]) {}

  async start(): Promise<void> {
    for (const source of this.sources) {
      const [, saved] = (await source.client.config('GET', 'notify-keyspace-events')) as [string, string]
      const wanted = withNeeded(saved ?? '')
      if (wanted !== saved) await source.client.config('SET', 'notify-keyspace-events', wanted)
      const subscriber = sourceClient(source.address, {name: 'twlab-migrate-changes', password: source.password})
      this.subscriptions.push({source, subscriber, saved: saved ?? ''})
      subscriber.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => this.mark(message))
      subscriber.on('close', () => {
        if (!this.stopping) this.lost.add(formatAddress(source.address))
      })
      await subscriber.connect()
      await subscriber.psubscribe(`__keyevent@${source.db}__:*`)
    }
  }

  private mark(key: Buffer): void {
    this.events++
    this.lastChangeAt = Date.now()
    const id = keyId(key)
    if (!this.dirty.has(id)) this.dirty.set(id, this.lastChangeAt)
  }

  async copySnapshot(): Promise<void> {}

  report(): CaptureReport {
    return {mode: this.mode, notes: this.notes}
  }

  lagText(): string {
    return `${this.pending} changed keys pending, lag ${this.lagMs()} ms`
  }

  /** Adds keys known dirty from elsewhere (a checkpoint being resumed). */
  add(keys: Buffer[]): void {
    const now = Date.now()
    for (const key of keys) if (!this.dirty.has(keyId(key))) this.dirty.set(keyId(key), now)
  }

  get pending(): number {
    return this.dirty.size
  }

  /** How long the oldest pending change has waited, in ms (0 when none). */
  lagMs(): number {
    for (const since of this.dirty.values()) return Date.now() - since
    return 0
  }

  /** Whether `key` changed since it was last taken (a change not yet copied). */
  isDirty(key: Buffer): boolean {
    return this.dirty.has(keyId(key))
  }

  /**
   * Resolves once every change made on the sources before the call has been recorded: a PING on
   * each subscribed connection is answered after every notification Redis queued on it before.
   * Used with the sources' writes paused, it makes `pending` the complete set of keys still to copy.
   */
  async barrier(): Promise<void> {
    await Promise.all(this.subscriptions.map(async ({source, subscriber}) => {
      const address = formatAddress(source.address)
      if (this.lost.has(address)) throw new Error(`the change feed of ${address} dropped`)
      await subscriber.ping()
    }))
  }

  /** Removes and returns up to `limit` dirty keys, oldest first. */
  take(limit: number): Buffer[] {
    const keys: Buffer[] = []
    for (const id of this.dirty.keys()) {
      if (keys.length >= limit) break
      keys.push(keyFromId(id))
    }
    for (const key of keys) this.dirty.delete(keyId(key))
    return keys
  }

  /** The pending keys, without removing them (for the checkpoint). */
  snapshot(): Buffer[] {
    return [...this.dirty.keys()].map(keyFromId)
  }

  /** Unsubscribes and puts every source's notify-keyspace-events back as it was. */
  async stop(): Promise<void> {
    this.stopping = true
    for (const {source, subscriber, saved} of this.subscriptions) {
      subscriber.disconnect()
      await source.client.config('SET', 'notify-keyspace-events', saved).catch(() => {})
    }
    this.subscriptions = []
  }
}
