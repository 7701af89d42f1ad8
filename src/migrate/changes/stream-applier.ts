// Applies one source's replication stream to the target cluster, in rounds. A round takes the
// commands received so far (up to a bound), translates each (command-translate.ts), groups them by
// the target master that owns their slot and sends each master its commands in stream order as
// one script call (one round trip per master, every master at once); commands the script could
// not run there (a slot that moved, a node failing over) are then retried one by one through the
// cluster client, still in order. Keys that must be copied again are copied at the end of the
// round, at a known source offset (stream-recopy.ts), and their earlier commands skipped. The
// next round starts when this one is done, so the commands of a key are applied in the order
// the source ran them, while different slots and masters are written in parallel. The applied
// offset (what the checkpoint records and REPLCONF ACK reports) moves to the end of a round; on
// the target, each slot's applied mark moves with its writes (apply-script.ts, applied-marks.ts),
// so a resumed run, whose checkpoint may be behind the target, applies nothing twice. A cluster
// source's commands on keys of slots that moved between its masters are not applied: their keys
// are copied again instead (slot-motion.ts), before the round ends.
import type {Redis} from 'ioredis'
import {formatAddress} from '../../address.js'
import {keySlot} from '../../hashing/index.js'
import {UserError} from '../../errors.js'
import {keyId, keyText} from '../../key-text.js'
import type {StreamCommand} from '../../protocol/command-stream.js'
import type {CopyContext} from '../copy/context.js'
import type {Source} from '../source/sources.js'
import {remember} from '../stats.js'
import {isTransient, retryTransient} from '../target/retry.js'
import {markKeyOfSlot, type SourceMarks} from './applied-marks.js'
import {applyScript, SCRIPT_ARGS_LIMIT, scriptArguments, type SlotCommand} from './apply-script.js'
import {keysOf, translateCommand, type StreamState} from './command-translate.js'
import {recopyAtOffset} from './stream-recopy.js'

/** commands per round at most, and bytes of arguments */
const ROUND_COMMANDS = 20_000
const ROUND_BYTES = 16 * 1024 * 1024

/** DEL or UNLINK: the source deleted these keys (counted as the copy's deletes) */
function isDelete(name: Buffer): boolean {
  const text = name.length === 3 || name.length === 6 ? name.toString('latin1').toLowerCase() : ''
  return text === 'del' || text === 'unlink'
}

/** What a resumed run found on the target: per slot, the offset its commands are applied up to. */
export interface ResumedMarks {
  offsets: Map<number, number>
  /** keys being copied again when the run stopped: copied again first */
  pending: Buffer[]
}

interface Queued {
  args: Buffer[]
  endOffset: number
  arrivedAt: number
}

export interface ApplierHooks {
  /** answer a REPLCONF GETACK with this offset */
  ack(offset: number): void
  /** the offset a key of `sourceIndex` was last read again at: its commands up to there are in the value */
  readAt(sourceIndex: number, key: Buffer, offset: number): void
  skipUntil(sourceIndex: number, key: Buffer): number | undefined
  /** a key changed (for verify's in-flux test) */
  touched(key: Buffer): void
  /** a round ended: everything up to `offset` is on the target */
  applied(offset: number): void
  /** a cluster source: whether a command on a key of `slot` is not applied but its keys copied again (slot-motion.ts) */
  moving?(slot: number, command: Buffer): boolean
  /** copies those keys again from wherever the source cluster holds them */
  recopyMoving?(keys: Buffer[]): Promise<void>
}

export class StreamApplier {
  /** the stream offset up to which every command is on the target */
  appliedOffset: number
  /** write commands applied */
  events = 0
  lastChangeAt = 0
  /** commands the target refused (the key is copied again instead), and the first few */
  refused = 0
  readonly refusedExamples: string[] = []
  /** why the stream cannot be applied any further */
  fatal: UserError | undefined
  /** rounds begun and finished (slot-motion.ts waits for the rounds begun before a slot was marked) */
  roundsBegun = 0
  roundsDone = 0
  private queue: Queued[] = []
  private head = 0
  private inFlight = 0
  private wake: (() => void) | undefined
  private closing = false
  private recopyRequests: Array<{keys: Buffer[]; done: (error?: Error) => void}> = []
  /** a resumed run: per slot, commands up to this offset are on the target already */
  private resumedOffsets: Map<number, number> | undefined
  private resumedUntil = 0

  constructor(private readonly ctx: CopyContext, private readonly source: Source, readonly state: StreamState,
    offset: number, public marks: SourceMarks, private readonly hooks: ApplierHooks, resumed?: ResumedMarks) {
    this.appliedOffset = offset
    if (resumed && resumed.offsets.size > 0) {
      this.resumedOffsets = resumed.offsets
      this.resumedUntil = Math.max(...resumed.offsets.values())
    }
    if (resumed && resumed.pending.length > 0) this.recopy(resumed.pending).catch(() => {}) // served before the first round
  }

  push(command: StreamCommand): void {
    this.queue.push({args: command.args, endOffset: command.endOffset, arrivedAt: Date.now()})
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** commands received and not yet applied */
  get pending(): number {
    return this.queue.length - this.head + this.inFlight
  }

  /** whether a round is being applied right now */
  get inRound(): boolean {
    return this.inFlight > 0
  }

  /** how long the oldest command not yet applied has waited (ms) */
  lagMs(): number {
    return this.head < this.queue.length ? Date.now() - this.queue[this.head].arrivedAt : 0
  }

  /**
   * Copies keys again between two rounds (verify's repairs): no command of a round in flight can
   * land on top of the value read.
   */
  recopy(keys: Buffer[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.recopyRequests.push({keys, done: (error) => (error ? reject(error) : resolve())})
      this.wake?.()
    })
  }

  private async serveRecopies(): Promise<void> {
    const requests = this.recopyRequests
    this.recopyRequests = []
    for (const request of requests) {
      try {
        await this.recopyNow(request.keys)
        request.done()
      } catch (error) {
        request.done(error as Error)
      }
    }
  }

  /** Copies keys again at a known offset, marked pending on the target first (applied-marks.ts). */
  private async recopyNow(keys: Buffer[]): Promise<void> {
    await this.marks.markPending(this.ctx.target.client, keys)
    await recopyAtOffset(this.ctx, this.source, keys, (index, key, offset) => this.hooks.readAt(index, key, offset))
  }

  /** whether the target had this command already when the run resumed (its slot's mark is at or past it) */
  private appliedBefore(slot: number, endOffset: number): boolean {
    const mark = this.resumedOffsets?.get(slot)
    return mark !== undefined && endOffset <= mark
  }

  /** Applies rounds until close(); rejects with the reason when the stream cannot be applied. */
  async run(): Promise<void> {
    for (let round = 0; !this.closing; round++) {
      if (this.recopyRequests.length > 0) await this.serveRecopies()
      if (this.head >= this.queue.length) {
        await new Promise<void>((resolve) => {
          this.wake = resolve
          setTimeout(resolve, 100)
        })
        continue
      }
      await this.round()
      if (this.fatal) throw this.fatal
    }
  }

  /** Stops after the round in flight; commands not applied are dropped (the checkpoint resumes before them). */
  close(): void {
    this.closing = true
    this.wake?.()
    for (const request of this.recopyRequests) request.done(new Error('the replication stream was closed'))
    this.recopyRequests = []
  }

  /** Drops what was received and not applied (the link is reconnecting from the applied offset). */
  discardPending(): void {
    this.queue = []
    this.head = 0
  }

  private takeRound(): Queued[] {
    let bytes = 0
    let end = this.head
    while (end < this.queue.length && end - this.head < ROUND_COMMANDS && bytes < ROUND_BYTES) {
      for (const arg of this.queue[end].args) bytes += arg.length
      end++
    }
    const batch = this.queue.slice(this.head, end)
    this.head = end
    if (this.head > 100_000 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    return batch
  }

  private async round(): Promise<void> {
    const batch = this.takeRound()
    this.inFlight = batch.length
    this.roundsBegun++
    try {
      const perMaster = new Map<string, SlotCommand[]>()
      const recopy = new Map<string, Buffer>()
      const moving = new Map<string, Buffer>()
      const isMoving = (slot: number, command: Buffer) => this.hooks.moving?.(slot, command) ?? false
      const everywhere: Buffer[][] = []
      let getack = false
      let last = this.appliedOffset
      const {ownerOf} = this.ctx.sources
      const slots = this.ctx.target.client.slots
      for (const item of batch) {
        const translated = translateCommand(item.args, this.state, this.source.db, item.arrivedAt)
        if (translated.kind === 'stop') {
          this.fatal = new UserError(`Source ${this.source.name} (${formatAddress(this.source.address)}) cannot be followed any further: ${translated.reason}. The cluster holds its keys as they were just before.`, {
            hint: 'Migrate again from the start (--restart), or with --capture notifications.',
          })
          break
        }
        last = item.endOffset
        if (translated.kind === 'getack') getack = true
        else if (translated.kind === 'everywhere') everywhere.push(translated.args)
        else if (translated.kind === 'recopy') for (const key of translated.keys) (isMoving(keySlot(key), item.args[0]) ? moving : recopy).set(keyId(key), key)
        else if (translated.kind === 'apply') {
          this.events++
          this.lastChangeAt = item.arrivedAt
          for (const part of translated.parts) {
            this.hooks.touched(part.key)
            if (isMoving(part.slot, part.args[0])) {
              for (const key of keysOf(part.args)) moving.set(keyId(key), key)
              continue
            }
            if (ownerOf && ownerOf(part.key) !== this.source.index) {
              recopy.set(keyId(part.key), part.key)
              continue
            }
            const skip = this.hooks.skipUntil(this.source.index, part.key)
            if (skip !== undefined && item.endOffset <= skip) continue
            if (this.appliedBefore(part.slot, item.endOffset)) continue
            if (isDelete(part.args[0])) this.ctx.stats.deleted += part.args.length - 1
            const owners = slots[part.slot]
            const master = owners && owners.length > 0 ? owners[0] : '?'
            let list = perMaster.get(master)
            if (!list) perMaster.set(master, (list = []))
            list.push({args: part.args, slot: part.slot, endOffset: item.endOffset})
          }
        }
      }
      await Promise.all([...perMaster].map(([master, commands]) => this.applyOn(master, commands, recopy)))
      for (const args of everywhere) await this.applyEverywhere(args)
      if (recopy.size > 0) await this.recopyNow([...recopy.values()])
      if (moving.size > 0) await this.hooks.recopyMoving?.([...moving.values()])
      this.appliedOffset = last
      if (this.resumedOffsets && last >= this.resumedUntil) this.resumedOffsets = undefined
      this.hooks.applied(last)
      if (getack) this.hooks.ack(last)
    } finally {
      this.inFlight = 0
      this.roundsDone++
    }
  }

  /** One master's commands, in order: script calls of consecutive commands, failures retried in order. */
  private async applyOn(master: string, commands: SlotCommand[], recopy: Map<string, Buffer>): Promise<void> {
    const cluster = this.ctx.target.client
    const node = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master)
    let segment: SlotCommand[] = []
    const flush = async () => {
      if (segment.length === 0) return
      const commands = segment
      segment = []
      const retry = node ? await this.scriptOn(node, commands) : commands.map((_, i) => i)
      for (const i of retry) await this.applyOne(commands[i], recopy)
    }
    for (const command of commands) {
      if (command.args.length > SCRIPT_ARGS_LIMIT) {
        await flush()
        await this.applyOne(command, recopy)
      } else segment.push(command)
    }
    await flush()
  }

  /** Runs commands on one master in one script call, with their slots' marks; returns those to retry one by one. */
  private async scriptOn(node: Redis, commands: SlotCommand[]): Promise<number[]> {
    const {numKeys, args: rest} = scriptArguments(commands, this.marks, false)
    let failed: Array<number | Buffer>
    try {
      failed = await applyScript(node)(numKeys, ...rest)
    } catch {
      return commands.map((_, i) => i) // the node went away mid-call, or no longer serves a slot
    }
    const retry: number[] = []
    for (let f = 0; f + 1 < failed.length; f += 2) retry.push(Number(failed[f]) - 1)
    return retry
  }

  /**
   * One command through the cluster client (MOVED, ASK, failovers followed): the apply script
   * routed by its slot's mark, so sending it again is harmless; a command too long for the script
   * goes in one MULTI with its mark. A refusal copies the key again.
   */
  private async applyOne(command: SlotCommand, recopy: Map<string, Buffer>): Promise<void> {
    const cluster = this.ctx.target.client
    const {args} = command
    try {
      const error = await retryTransient(() => (args.length > SCRIPT_ARGS_LIMIT ? this.inTransaction(command) : this.inScript(command)))
      if (error) throw error
    } catch (error) {
      if (isTransient(error)) throw error
      this.refused++
      remember(this.refusedExamples, `${args[0].toString('latin1')} ${keyText(args[1])}: ${(error as Error).message}`)
      recopy.set(keyId(args[1]), args[1])
    }
  }

  /** The command's error, if it got one; transient ones are thrown (retried). */
  private async inScript(command: SlotCommand): Promise<Error | undefined> {
    const {numKeys, args: rest} = scriptArguments([command], this.marks, true, true)
    const failed = await applyScript(this.ctx.target.client)(numKeys, ...rest)
    if (failed.length < 2) return undefined
    const error = new Error(String(failed[1]))
    if (isTransient(error)) throw error
    return error
  }

  private async inTransaction(command: SlotCommand): Promise<Error | undefined> {
    const {args, slot, endOffset} = command
    const transaction = this.ctx.target.client.multi()
    transaction.callBuffer(args[0].toString('latin1'), ...args.slice(1))
    transaction.hset(markKeyOfSlot(slot), this.marks.offsetField, this.marks.offsetValue(endOffset))
    const result = (await transaction.exec()) ?? []
    const error = result.find(([e]) => e)?.[0] ?? undefined
    if (error && isTransient(error)) throw error
    return result[0]?.[0] ?? undefined
  }

  /** FUNCTION LOAD/DELETE/FLUSH/RESTORE: on every master of the target, idempotent (a resumed run may send them again). */
  private async applyEverywhere(args: Buffer[]): Promise<void> {
    const sub = args[1].toString('latin1').toLowerCase()
    const has = (word: string) => args.slice(2).some((a) => a.length === word.length && a.toString('latin1').toLowerCase() === word)
    let command = args
    if (sub === 'load' && !has('replace')) command = [args[0], args[1], Buffer.from('REPLACE'), ...args.slice(2)]
    if (sub === 'restore' && !has('flush') && !has('append') && !has('replace')) command = [...args, Buffer.from('REPLACE')]
    for (const node of this.ctx.target.client.nodes('master')) {
      try {
        await retryTransient(() => node.callBuffer(command[0].toString('latin1'), ...command.slice(1)))
      } catch (error) {
        if (!(sub === 'delete' && /library not found/i.test((error as Error).message))) throw error
      }
    }
  }
}
