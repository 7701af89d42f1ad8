// What reshard, rebalance and del-node share once they have a list of slot moves: the flags that
// tune moving, the preflight (keys per slot, big keys), the plan table, the confirmation, the
// journal, the run with its progress bar and Ctrl-C handling, and the summary.
import {Flags} from '@oclif/core'
import {BaseCommand} from './base-command.js'
import {UserError} from '../errors.js'
import type {SlotProgressBar} from './slot-progress.js'
import {formatRanges, rangesOf} from '../targets/cluster-nodes.js'
import {ClusterTarget} from '../targets/cluster.js'
import {Journal, markResumed, type JournalState} from '../cluster/journal.js'
import {summarizeMoves, type SlotMove} from '../cluster/plan.js'
import {parseBytes, preflight, type BigKey} from '../cluster/preflight.js'
import {explainFailures} from '../cluster/failure-cause.js'
import {runMoves, type RunResult} from '../cluster/run.js'

export const clusterFlags = {
  cluster: Flags.string({char: 'c', description: 'any node of the cluster, HOST:PORT', required: true, helpValue: 'HOST:PORT'}),
  password: Flags.string({description: 'password of the cluster nodes (AUTH), also used by MIGRATE', env: 'TWLAB_PASSWORD'}),
  user: Flags.string({description: 'ACL user name for --password'}),
}

export const moveFlags = {
  batch: Flags.integer({description: 'keys per MIGRATE', default: 500, min: 1, aliases: ['pipeline']}),
  parallel: Flags.integer({description: 'slots in flight at once (opened, emptied and closed together in pipelined waves)', default: 256, min: 1, max: 4096}),
  timeout: Flags.integer({description: 'MIGRATE timeout in ms (how long a source waits on its target for one batch)', default: 60_000, min: 100}),
  replace: Flags.boolean({description: 'overwrite keys that already exist on the target (otherwise only identical ones are)', default: false}),
  'big-key-limit': Flags.string({description: 'report keys above this size before moving (0 turns the check off)', default: '16mb', helpValue: 'SIZE'}),
  'allow-big-keys': Flags.boolean({description: 'move even when big keys were found (MIGRATE blocks both nodes while it copies them)', default: false}),
  journal: Flags.string({description: 'journal file (default: a new file under $TWLAB_HOME/reshard)', helpValue: 'FILE'}),
}

export interface MoveFlags {
  cluster: string
  yes: boolean
  batch: number
  parallel: number
  timeout: number
  replace: boolean
  'big-key-limit': string
  'allow-big-keys': boolean
  journal?: string
}

export interface MoveSummary {
  operation: string
  cluster: string
  journal?: string
  plan: Array<{from: string; to: string; slots: number; ranges: string; keys: number}>
  bigKeys: BigKey[]
  /** how long counting keys per slot and sizing them for big keys took */
  preflightSeconds?: number
  result?: RunResult
}

export abstract class SlotMoveCommand extends BaseCommand {
  protected async connect(flags: {cluster: string; password?: string; user?: string}): Promise<ClusterTarget> {
    return ClusterTarget.connect(flags.cluster, {password: flags.password, username: flags.user})
  }

  /**
   * Shows the plan, asks (or refuses without a TTY and --yes), then moves. `resume` continues an
   * existing journal instead of starting one. Sets a non-zero exit code unless every slot moved.
   */
  protected async executeMoves(
    target: ClusterTarget,
    operation: string,
    moves: SlotMove[],
    flags: MoveFlags,
    options: {resume?: JournalState; simulate?: boolean} = {},
  ): Promise<MoveSummary> {
    const bigKeyBytes = parseBytes(flags['big-key-limit'])
    if (bigKeyBytes === undefined) throw new UserError(`--big-key-limit "${flags['big-key-limit']}" is not a size: write it as 16mb, 512kb or a byte count.`)
    const name = (id: string) => target.byId(id)?.address ?? options.resume?.plan.nodes[id] ?? id
    const summary: MoveSummary = {operation, cluster: flags.cluster, plan: [], bigKeys: []}
    if (moves.length === 0) {
      this.note('Nothing to move: the cluster already looks like that.')
      return summary
    }

    this.note(`Looking at ${moves.length} slot(s) before moving${bigKeyBytes > 0 ? ' (counting keys, sizing them for big keys)' : ''}...`)
    const preflightStarted = process.hrtime.bigint()
    const pre = await preflight(target, moves, bigKeyBytes)
    summary.preflightSeconds = Number(process.hrtime.bigint() - preflightStarted) / 1e9
    summary.bigKeys = pre.bigKeys
    summary.plan = summarizeMoves(moves).map((group) => ({
      from: name(group.from),
      to: name(group.to),
      slots: group.slots.length,
      ranges: formatRanges(rangesOf(group.slots)),
      keys: group.slots.reduce((sum, slot) => sum + (pre.keysBySlot.get(slot) ?? 0), 0),
    }))
    if (!this.jsonEnabled()) {
      // tables and the progress bar load only when drawn: --json runs start faster without them
      const {renderTable} = await import('./table.js')
      this.log(renderTable(['from', 'to', 'slots', 'ranges', 'keys'], summary.plan.map((row) => [row.from, row.to, row.slots, shorten(row.ranges), row.keys])))
      if (pre.bigKeys.length > 0) {
        this.log(`Big keys (over ${flags['big-key-limit']}): MIGRATE blocks both nodes while it copies each one.`)
        this.log(renderTable(['key', 'slot', 'node', 'bytes'], pre.bigKeys.slice(0, 20).map((big) => [big.key, big.slot, big.node, big.bytes])))
      }
    }
    if (options.simulate) return summary
    if (pre.bigKeys.length > 0 && !flags['allow-big-keys']) {
      throw new UserError(`${pre.bigKeys.length} key(s) in these slots are over ${flags['big-key-limit']} (largest: ${pre.bigKeys[0].key}, ${pre.bigKeys[0].bytes} bytes): pass --allow-big-keys to move them anyway, or raise --big-key-limit.`)
    }
    if (!(await this.confirmOrRefuse(`Move ${moves.length} slot(s) holding ${pre.totalKeys} key(s)?`, flags.yes))) {
      throw new UserError('Nothing moved: the plan was not confirmed.')
    }

    let journal: Journal
    if (options.resume) {
      journal = Journal.reopen(options.resume.path)
      markResumed(options.resume.path)
    } else {
      const nodes = Object.fromEntries(target.allNodes().map((node) => [node.id, node.address]))
      try {
        journal = Journal.create({operation, seed: flags.cluster, nodes, moves}, flags.journal)
      } catch (error) {
        throw new UserError(`Cannot write the journal ${flags.journal ?? ''}: ${(error as Error).message}; pick another path with --journal.`, {cause: error})
      }
    }
    summary.journal = journal.path

    // Ctrl-C stops starting new slots and lets those in flight close; a second one exits now
    // (the journal then tells --resume and `cluster fix` which slots to finish).
    const stop = new AbortController()
    let interrupts = 0
    const onSignal = () => {
      interrupts++
      if (interrupts === 1) {
        this.note('\nStopping after the slots in flight (Ctrl-C again to quit now; --resume continues)...')
        stop.abort()
      } else {
        process.exit(130)
      }
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const bar: SlotProgressBar = !this.jsonEnabled() && process.stderr.isTTY
      ? (await import('./slot-progress.js')).slotProgressBar(moves.length, pre.totalKeys, true)
      : {update() {}, stop() {}}
    let result: RunResult
    try {
      result = await runMoves(target, moves, journal, {
        batch: flags.batch, parallel: flags.parallel, timeoutMs: flags.timeout, replace: flags.replace,
        expectedKeys: pre.keysBySlot, bigKeySlots: new Set(pre.bigKeys.map((big) => big.slot)),
        signal: stop.signal, onProgress: (progress) => bar.update(progress),
      })
    } finally {
      bar.stop()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    // a node that died mid-move shows up as a client connection error: name the node instead
    if (result.failed.length > 0) result.failed = await explainFailures(target, moves, result.failed)
    summary.result = result
    this.note(`${result.status === 'complete' ? 'Moved' : 'Moved only'} ${result.slotsMoved}/${result.slotsPlanned} slot(s), ${result.keysMoved} key(s) in ${result.seconds.toFixed(2)} s (${result.keysPerSecond} keys/s). Journal: ${journal.path}`)
    if (result.status !== 'complete') {
      process.exitCode = result.status === 'interrupted' ? 130 : 1
      const first = result.failed[0]
      this.note(first
        ? `Failed on slot ${first.slot}: ${first.error}\nFinish with \`twlab reshard --cluster ${flags.cluster} --resume --journal ${journal.path}\` once the cause is fixed, or close the slot with \`twlab cluster fix --cluster ${flags.cluster}\`.`
        : `Interrupted with ${result.remaining.length} slot(s) left: continue with \`twlab reshard --cluster ${flags.cluster} --resume --journal ${journal.path}\`.`)
    }
    return summary
  }
}

function shorten(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`
}
