// What reshard, rebalance and del-node share once they have a list of slot moves, on the command
// side: the flags that tune moving, the plan table, the confirmation, the progress bar, Ctrl-C,
// and the summary with the next step. cluster/slot-moves.ts decides the rest (preflight, big-key
// refusal, journal, the run).
import {Flags} from '@oclif/core'
import {connectionFlags} from './target-flags.js'
import {BaseCommand} from './base-command.js'
import {colours} from './terminal/colour.js'
import {onInterrupt} from './interrupt.js'
import {UserError} from '../errors.js'
import type {SlotProgressBar} from './slot-progress.js'
import type {ClusterTarget} from '../targets/cluster.js'
import {openCluster, type ClusterChoice} from '../lab/target.js'
import type {Journal, JournalState} from '../cluster/journal.js'
import type {SlotMove} from '../cluster/plan.js'
import {parseBytes, type BigKey} from '../cluster/preflight.js'
import type {RunResult} from '../cluster/run.js'
import {moveSlots, openMoveJournal, prepareMoves, refuseBigKeys, type MovePlanRow, type PreparedMoves} from '../cluster/slot-moves.js'
import {MOVE_METHODS, type RequestedMethod} from '../cluster/atomic/method.js'

// --cluster HOST:PORT or --lab NAME (whose node names then work wherever a NODE is asked for);
// with neither, the only running cluster lab
export const clusterFlags = {
  cluster: Flags.string({description: 'any node of the cluster, HOST:PORT', exclusive: ['lab'], helpValue: 'HOST:PORT'}),
  lab: Flags.string({description: 'a cluster lab of `twlab up --cluster` (default: the only running one); its node names (m1, m1-r1) work as NODE', aliases: ['name'], exclusive: ['cluster'], helpValue: 'NAME'}),
  password: Flags.string({description: 'password of the cluster nodes (AUTH), also used by MIGRATE', env: 'TWLAB_PASSWORD'}),
  ...connectionFlags,
}

export const moveFlags = {
  batch: Flags.integer({description: 'keys per MIGRATE', default: 500, min: 1, aliases: ['pipeline']}),
  parallel: Flags.integer({description: 'slots in flight at once (opened, emptied and closed together in pipelined waves)', default: 256, min: 1, max: 4096}),
  timeout: Flags.integer({description: 'MIGRATE timeout in ms (how long a source waits on its target for one batch)', default: 60_000, min: 100}),
  replace: Flags.boolean({description: 'overwrite keys that already exist on the target (otherwise only identical ones are)', default: false}),
  'big-key-limit': Flags.string({description: 'report keys above this size before moving (0 turns the check off)', default: '16mb', helpValue: 'SIZE'}),
  'allow-big-keys': Flags.boolean({description: 'move even when big keys were found (MIGRATE blocks both nodes while it copies them)', default: false}),
  journal: Flags.string({description: 'journal file (default: a new file under $TWLAB_HOME/reshard)', helpValue: 'FILE'}),
  method: Flags.string({description: 'how slots move: the server\'s atomic slot migration (Valkey 9+), MIGRATE, or auto (atomic when every node involved has it)', options: MOVE_METHODS, default: 'auto'}),
}

export interface MoveFlags {
  yes: boolean
  batch: number
  parallel: number
  timeout: number
  replace: boolean
  'big-key-limit': string
  'allow-big-keys': boolean
  journal?: string
  method?: string
}

export interface MoveSummary {
  operation: string
  cluster: string
  journal?: string
  plan: MovePlanRow[]
  bigKeys: BigKey[]
  /** how long counting keys per slot and sizing them for big keys took */
  preflightSeconds?: number
  /** "atomic" or "migrate", and why */
  method?: string
  methodReason?: string
  bigKeyCheck?: string
  result?: RunResult
}

export abstract class SlotMoveCommand extends BaseCommand {
  /** set by connect(): which cluster, how to name it in a next step, and lab node names */
  protected choice?: ClusterChoice

  protected async connect(flags: {cluster?: string; lab?: string; password?: string; user?: string}): Promise<ClusterTarget> {
    this.choice = await openCluster(flags)
    return this.choice.target
  }

  /** `--lab NAME` or `--cluster HOST:PORT`: how the next command to run names this cluster. */
  protected get clusterFlagText(): string {
    return this.choice?.flagText ?? ''
  }

  /** A NODE as the user wrote it (lab node names included), as ClusterTarget resolves it. */
  protected nodeSpec(spec: string): string {
    return this.choice ? this.choice.nodeSpec(spec) : spec
  }

  /** What the summaries call the cluster: the lab's name or the address given. */
  protected get clusterName(): string {
    return this.choice?.lab ? `lab ${this.choice.lab.name}` : this.choice?.flagText.replace('--cluster ', '') ?? ''
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
    const summary: MoveSummary = {operation, cluster: this.clusterName, plan: [], bigKeys: []}
    if (moves.length === 0) {
      this.note('Nothing to move: the cluster already looks like that.')
      return summary
    }

    this.note(`Looking at ${moves.length} slot(s) before moving${bigKeyBytes > 0 ? ' (counting keys, sizing them for big keys)' : ''}...`)
    const prepared = await prepareMoves(target, moves, bigKeyBytes, options.resume, (flags.method ?? 'auto') as RequestedMethod)
    Object.assign(summary, {plan: prepared.rows, bigKeys: prepared.bigKeys, preflightSeconds: prepared.preflightSeconds,
      method: prepared.method.method, methodReason: prepared.method.reason, bigKeyCheck: prepared.bigKeyCheck})
    await this.showPlan(prepared, flags['big-key-limit'])
    if (options.simulate) return summary
    refuseBigKeys(prepared, flags['big-key-limit'], flags['allow-big-keys'])
    if (!(await this.confirmOrRefuse(`Move ${moves.length} slot(s) holding ${prepared.totalKeys} key(s)?`, flags.yes))) {
      throw new UserError('Nothing moved: the plan was not confirmed.')
    }

    const journal = openMoveJournal(target, {operation, seed: this.clusterName, moves, path: flags.journal, resume: options.resume, method: prepared.method})
    summary.journal = journal.path
    summary.result = await this.runMoves(target, moves, journal, prepared, flags)
    await this.showStats(summary.result)
    this.reportRun(summary.result, journal, this.clusterFlagText)
    return summary
  }

  private async showPlan(prepared: PreparedMoves, bigKeyLimit: string): Promise<void> {
    if (this.jsonEnabled()) return
    // tables and the progress bar load only when drawn: --json runs start faster without them
    const {renderTable} = await import('./table.js')
    this.log(renderTable(['from', 'to', 'slots', 'ranges', 'keys'], prepared.rows.map((row) => [row.from, row.to, row.slots, shorten(row.ranges), row.keys])))
    this.log(`Method: ${prepared.method.reason}.`)
    this.log(`Big keys: ${prepared.bigKeyCheck}.`)
    if (prepared.bigKeys.length > 0) {
      this.log(`Big keys (over ${bigKeyLimit}): MIGRATE blocks both nodes while it copies each one.`)
      this.log(renderTable(['key', 'slot', 'node', 'bytes'], prepared.bigKeys.slice(0, 20).map((big) => [big.key, big.slot, big.node, big.bytes])))
    }
  }

  /**
   * The run with its progress bar. Ctrl-C stops starting new slots and lets those in flight
   * close; a second one exits now (the journal then tells --resume and `cluster fix` which slots
   * to finish).
   */
  private async runMoves(target: ClusterTarget, moves: SlotMove[], journal: Journal, prepared: PreparedMoves, flags: MoveFlags): Promise<RunResult> {
    const interrupt = onInterrupt(() => this.note('Stopping after the slots in flight (Ctrl-C again to quit now; --resume continues)...'))
    const bar: SlotProgressBar = (await import('./slot-progress.js')).slotProgressBar(moves.length, prepared.totalKeys, !this.jsonEnabled())
    try {
      return await moveSlots(target, moves, journal, prepared, {
        batch: flags.batch, parallel: flags.parallel, timeoutMs: flags.timeout, replace: flags.replace,
        signal: interrupt.signal, onProgress: (progress) => bar.update(progress),
      })
    } finally {
      bar.stop()
      interrupt.remove()
    }
  }

  /** Slots, keys and time per pair; slots, keys and bytes per node; what the sources hold now. */
  private async showStats(result: RunResult): Promise<void> {
    if (this.jsonEnabled()) return
    const {renderTable} = await import('./table.js')
    if (result.pairs && result.pairs.length > 0) {
      this.log(renderTable(['from', 'to', 'slots', 'keys', 'seconds'], result.pairs.map((pair) => [pair.from, pair.to, pair.slots, pair.keys, pair.seconds.toFixed(2)])))
    }
    if (result.nodes && result.nodes.length > 0) {
      this.log(renderTable(['node', 'slots out', 'slots in', 'keys out', 'keys in', 'bytes out', 'bytes in'],
        result.nodes.map((node) => [node.node, node.slotsOut, node.slotsIn, node.keysOut, node.keysIn, node.bytesOut, node.bytesIn])))
      this.log('(bytes: network traffic of each node during the run, as INFO stats counts it, other clients included)')
    }
    for (const note of result.endState?.notes ?? []) this.log(note)
  }

  /** The totals, and what to run next when not every slot moved (exit 1, or 130 after Ctrl-C). */
  private reportRun(result: RunResult, journal: Journal, cluster: string): void {
    const paint = result.status === 'complete' ? colours(process.stderr).ok : colours(process.stderr).warning
    const how = result.method === 'atomic' ? ' by atomic slot migration' : ''
    this.note(paint(`${result.status === 'complete' ? 'Moved' : 'Moved only'} ${result.slotsMoved}/${result.slotsPlanned} slot(s), ${result.keysMoved} key(s)${how} in ${result.seconds.toFixed(2)} s (${result.keysPerSecond} keys/s).`) + ` Journal: ${journal.path}`)
    if (result.status === 'complete') return
    process.exitCode = result.status === 'interrupted' ? 130 : 1
    const first = result.failed[0]
    this.note(first
      ? `Failed on slot ${first.slot}: ${first.error}\nFinish with \`twlab reshard ${cluster} --resume --journal ${journal.path}\` once the cause is fixed, or close the slot with \`twlab cluster fix ${cluster}\`.`
      : `Interrupted with ${result.remaining.length} slot(s) left: continue with \`twlab reshard ${cluster} --resume --journal ${journal.path}\`.`)
  }
}

function shorten(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`
}
