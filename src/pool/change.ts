// Grows or shrinks a ketama (or modula) pool online:
//   1. plan: the old and new server lists, and which keys change owner (SCAN of each old server);
//   2. switch: the config gets the new servers: and the old list as fallback_servers (atomic
//      write, backup kept), twproxy reloads (SIGUSR1) and is seen routing by the new list. From
//      then on a client's command on a moving key first has the old owner MIGRATE it over;
//   3. move: every moving key is MIGRATEd to its new owner, in batches;
//   4. finalize: fallback_servers is removed and twproxy reloads again;
//   5. clean: stale copies left on old owners are deleted once their new owner has the key.
// A journal next to the config records the phase, so running the same command again finishes an
// interrupted change. With nutcracker in front (no reload) the config gets the new servers only,
// the command prints the restart step, and keys move when it is run again after the restart.
import type {PoolConfig} from '../config/index.js'
import {UserError} from '../errors.js'
import {choosePool, readPoolConfig} from '../targets/pool-config.js'
import {isProcessAlive} from '../targets/process.js'
import {deleteStrays} from './cleanup.js'
import {PoolServerClients} from './clients.js'
import {dropFallback, writeNewServers} from './config-switch.js'
import {describePhase, journalServers, poolChangeJournalPath, readPoolChangeJournal, removePoolChangeJournal, writePoolChangeJournal, type PoolChangeJournal} from './journal.js'
import {countMovingKeys, moveKeys, type MoveTotals, type PairCount} from './move.js'
import {MovePlacement, serverEntries, type PoolChange} from './plan.js'
import {reloadAndVerify, signalReload, type PoolProxy} from './proxy.js'

export interface PoolChangePlan {
  action: PoolChange['action']
  pool: string
  server: {name: string; address: string; weight: number}
  before: string[]
  after: string[]
  /** keys on the old servers now */
  scanned: number
  /** keys that change owner, per (old owner, new owner) */
  pairs: PairCount[]
  /**
   * false when nobody is asked (--yes): the keys are then counted as they move, sparing a scan of
   * every old server, and scanned/pairs in the summary come from the move
   */
  countedFirst: boolean
  /** set when an interrupted change is being finished */
  resuming?: string
}

export interface PoolChangeSummary extends PoolChangePlan {
  status: 'done' | 'dry-run' | 'restart-needed' | 'cancelled'
  configFile: string
  backup?: string
  proxy: {kind: PoolProxy['kind']; pid?: number}
  restartStep?: string
  moved?: number
  kept?: number
  straysDeleted?: number
  lateMoves?: number
  /** seconds spent in each phase this run: counting keys, switching the proxy, moving, cleaning up */
  seconds?: {plan: number; switch: number; move: number; cleanup: number}
}

export interface PoolChangeOptions {
  configFile: string
  poolName?: string
  /** computes the change from the pool as the config describes it now */
  plan: (pool: PoolConfig) => PoolChange
  /** the proxy as it is now (asked again on resume, since a restarted nutcracker has a new pid) */
  proxy: PoolProxy
  password?: string
  dryRun: boolean
  /** nobody will be asked (--yes): skip the counting scan before the switch */
  noQuestions?: boolean
  batch?: number
  confirm: (plan: PoolChangePlan) => Promise<boolean>
  note: (message: string) => void
  /** the move's running totals (for a progress bar); without it they go to `note` as lines */
  progress?: (totals: MoveTotals) => void
}

/** Seconds spent in each phase: a lap closes the running phase and starts the next. */
class PhaseTimer {
  readonly seconds = {plan: 0, switch: 0, move: 0, cleanup: 0}
  private started = process.hrtime.bigint()

  lap(phase: keyof PhaseTimer['seconds']): void {
    const now = process.hrtime.bigint()
    this.seconds[phase] += Number(now - this.started) / 1e9
    this.started = now
  }

  /** starts over without counting the time since the last lap (time spent asking is nobody's phase) */
  restart(): void {
    this.started = process.hrtime.bigint()
  }
}

/** The pool, the change asked for (or the one a journal says was under way) and that journal. */
async function loadChange(options: PoolChangeOptions): Promise<{pool: PoolConfig; change: PoolChange; journal?: PoolChangeJournal}> {
  const config = await readPoolConfig(options.configFile)
  const pool = choosePool(config, options.poolName)
  const journal = readPoolChangeJournal(options.configFile, pool.name)
  if (!journal) return {pool, change: options.plan(pool)}
  const before = journalServers(journal.before)
  const planned = options.plan({...pool, servers: before})
  if (planned.action !== journal.action || serverEntries([planned.server])[0] !== journal.server) {
    throw new UserError(`Pool ${pool.name} is in the middle of another change (${describePhase(journal)}): run that command again to finish it first (journal ${poolChangeJournalPath(options.configFile, pool.name)}).`)
  }
  return {pool, change: {...planned, before, after: journalServers(journal.after)}, journal}
}

/** Runs one change phase by phase; the journal's phase says where a resumed run starts. */
class PoolChangeRun {
  private readonly placement: MovePlacement
  private readonly clients: PoolServerClients
  private readonly timer = new PhaseTimer()
  private readonly proxy: PoolProxy
  /** keys were counted before the switch (otherwise they are counted as they move) */
  private countedFirst = false

  constructor(private readonly options: PoolChangeOptions, private readonly pool: PoolConfig, private readonly change: PoolChange, private journal: PoolChangeJournal | undefined) {
    this.placement = new MovePlacement(pool, change.before, change.after)
    this.clients = new PoolServerClients(pool, options.password)
    this.proxy = options.proxy
  }

  async execute(): Promise<PoolChangeSummary> {
    const plan = await this.plan()
    const summary: PoolChangeSummary = {...plan, status: 'dry-run', configFile: this.options.configFile, proxy: {kind: this.proxy.kind, pid: this.proxy.pid}, seconds: this.timer.seconds}
    this.timer.lap('plan')
    if (this.options.dryRun) return summary
    if (!(await this.options.confirm(plan))) return {...summary, status: 'cancelled'}
    this.timer.restart()

    await this.startJournal(plan)
    if (this.phase === 'planned') {
      const stopped = await this.switchConfig(summary, plan)
      if (stopped) return stopped
    }
    if (this.phase === 'switched') {
      const stopped = this.waitForRestart(summary)
      if (stopped) return stopped
      await this.reloadProxy()
      this.timer.lap('switch')
      await this.moveKeys(summary)
      this.timer.lap('move')
    }
    if (this.phase === 'moved') await this.finalize()
    await this.cleanUp(summary)
    this.timer.lap('cleanup')
    removePoolChangeJournal(this.options.configFile, this.pool.name)
    return {...summary, status: 'done'}
  }

  /** where the journal says the change stands */
  private get phase(): PoolChangeJournal['phase'] | undefined {
    return this.journal?.phase
  }

  close(): Promise<void> {
    return this.clients.close()
  }

  /** Every server answers; the keys that change owner are counted unless nobody is asked. */
  private async plan(): Promise<PoolChangePlan> {
    const {change, journal, options} = this
    await this.clients.checkReachable([...change.before, ...change.after.filter((s) => !change.before.some((b) => b.address === s.address))])
    options.note(journal ? `Finishing an interrupted change: ${describePhase(journal)}.` : `Scanning ${change.before.length} server(s) for keys that change owner...`)
    this.countedFirst = (!journal || journal.phase === 'planned') && (options.dryRun || !options.noQuestions)
    const counted = this.countedFirst ? await countMovingKeys(this.clients, this.placement, change.before) : {scanned: 0, pairs: []}
    return {
      action: change.action,
      pool: this.pool.name,
      server: {name: change.server.name, address: change.server.address, weight: change.server.weight},
      before: serverEntries(change.before),
      after: serverEntries(change.after),
      scanned: counted.scanned,
      pairs: counted.pairs,
      countedFirst: this.countedFirst,
      ...(journal ? {resuming: describePhase(journal)} : {}),
    }
  }

  /** A new change is journaled before anything is touched; a resumed one has its journal. */
  private async startJournal(plan: PoolChangePlan): Promise<void> {
    const {change} = this
    this.journal ??= {version: 1, action: change.action, pool: this.pool.name, server: serverEntries([change.server])[0], before: plan.before, after: plan.after, phase: 'planned', updatedAt: ''}
    if (this.journal.phase === 'planned') await this.save('planned')
  }

  private async save(phase: PoolChangeJournal['phase'], extra: Partial<PoolChangeJournal> = {}): Promise<void> {
    this.journal = {...this.journal!, ...extra, phase}
    await writePoolChangeJournal(this.options.configFile, this.journal)
  }

  /** planned -> switched: the config gets the new servers; nutcracker must now be restarted by hand. */
  private async switchConfig(summary: PoolChangeSummary, plan: PoolChangePlan): Promise<PoolChangeSummary | undefined> {
    const {configFile, note} = this.options
    const twproxy = this.proxy.kind === 'twproxy'
    summary.backup = await writeNewServers(configFile, this.pool.name, plan.after, twproxy ? plan.before : undefined)
    await this.save('switched', {proxyPid: this.proxy.pid})
    note(`Wrote ${configFile} with the new servers${twproxy ? ' and fallback_servers' : ''}${summary.backup ? ` (backup ${summary.backup})` : ''}.`)
    if (this.proxy.kind !== 'nutcracker') return undefined
    note('nutcracker cannot reload its configuration: restart it, then run this command again to move the keys.')
    return {...summary, status: 'restart-needed', restartStep: this.proxy.restartStep}
  }

  /** Keys must not move while the nutcracker told about the change still runs the old config. */
  private waitForRestart(summary: PoolChangeSummary): PoolChangeSummary | undefined {
    const {proxy} = this
    if (proxy.kind !== 'nutcracker' || proxy.pid === undefined || proxy.pid !== this.journal!.proxyPid || !isProcessAlive(proxy.pid)) return undefined
    this.options.note(`nutcracker (pid ${proxy.pid}) still runs the old configuration: restart it, then run this command again.`)
    return {...summary, status: 'restart-needed', restartStep: proxy.restartStep}
  }

  private async reloadProxy(): Promise<void> {
    if (this.proxy.kind !== 'twproxy') return
    const {note} = this.options
    note(`Telling twproxy (pid ${this.proxy.pid}) to reload (SIGUSR1)...`)
    await reloadAndVerify(this.proxy, this.pool, this.placement, this.clients, this.options.password)
    note('twproxy routes by the new servers; moving keys.')
  }

  /** switched -> moved: every moving key goes to its new owner. */
  private async moveKeys(summary: PoolChangeSummary): Promise<void> {
    const {options} = this
    const moved = await moveKeys(this.pool, this.clients, this.placement, this.change.before, {
      batch: options.batch,
      password: options.password,
      onProgress: options.progress ?? ((t) => options.note(`  scanned ${t.scanned}, moved ${t.moved}${t.kept ? `, kept ${t.kept} newer` : ''}`)),
    })
    summary.moved = moved.moved
    summary.kept = moved.kept
    if (!this.countedFirst) {
      summary.scanned = moved.scanned
      summary.pairs = moved.pairs
    }
    await this.save('moved')
  }

  /** moved -> finalized: twproxy drops the fallback list. */
  private async finalize(): Promise<void> {
    if (this.proxy.kind === 'twproxy') {
      await dropFallback(this.options.configFile, this.pool.name)
      signalReload(this.proxy)
      this.options.note('Removed fallback_servers and told twproxy to reload.')
    }
    await this.save('finalized')
  }

  /** Stale copies left on the old owners go, once their new owner has the key. */
  private async cleanUp(summary: PoolChangeSummary): Promise<void> {
    const cleaned = await deleteStrays(this.pool, this.clients, this.placement, this.change.before, this.options.password)
    summary.straysDeleted = cleaned.deleted
    summary.lateMoves = cleaned.moved
  }
}

export async function runPoolChange(options: PoolChangeOptions): Promise<PoolChangeSummary> {
  const {pool, change, journal} = await loadChange(options)
  const run = new PoolChangeRun(options, pool, change, journal)
  try {
    return await run.execute()
  } finally {
    await run.close()
  }
}
