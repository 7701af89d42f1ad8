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
import {editConfigFile, FALLBACK_SERVERS_KEY, loadConfig, parseServerEntry, type PoolConfig, type ServerConfig} from '../config/index.js'
import {isMap, isScalar, type YAMLMap, type YAMLSeq} from 'yaml'
import type {ConfigEditor} from '../config/index.js'
import {UserError} from '../errors.js'
import {deleteStrays, type CleanupTotals} from './cleanup.js'
import {PoolServerClients} from './clients.js'
import {describePhase, journalPath, readJournal, removeJournal, writeJournal, type PoolChangeJournal} from './journal.js'
import {countMovingKeys, moveKeys, type MoveTotals, type PairCount} from './move.js'
import {MovePlacement, serverEntries, type PoolChange} from './plan.js'
import {isAlive, reloadAndVerify, signalReload, type PoolProxy} from './proxy.js'

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
}

function pickPool(pools: PoolConfig[], name: string | undefined, file: string): PoolConfig {
  if (name !== undefined) {
    const pool = pools.find((p) => p.name === name)
    if (!pool) throw new UserError(`${file} has no pool named "${name}": it has ${pools.map((p) => p.name).join(', ')}.`)
    return pool
  }
  if (pools.length === 1) return pools[0]
  throw new UserError(`${file} has ${pools.length} pools (${pools.map((p) => p.name).join(', ')}): say which with --pool NAME.`)
}

function parseEntries(entries: string[]): ServerConfig[] {
  return entries.map((entry) => {
    const parsed = parseServerEntry(entry)
    if (!parsed.ok) throw new UserError(`The pool change journal lists a bad server "${entry}": ${parsed.problem}.`)
    return parsed.server
  })
}

/** fallback_servers: as a block sequence under the pool, before servers:. */
function setFallback(editor: ConfigEditor, pool: string, entries: string[] | undefined): void {
  if (entries === undefined) {
    editor.deleteKey(pool, FALLBACK_SERVERS_KEY)
    return
  }
  const root = editor.doc.contents as YAMLMap<unknown, unknown>
  const poolPair = root.items.find((p) => isScalar(p.key) && String(p.key.value) === pool)
  if (!poolPair || !isMap(poolPair.value)) throw new UserError(`The config has no pool "${pool}" any more.`)
  const map = poolPair.value as YAMLMap<unknown, unknown>
  const seq = editor.doc.createNode(entries) as YAMLSeq<unknown>
  seq.flow = false
  const existing = map.items.find((p) => isScalar(p.key) && p.key.value === FALLBACK_SERVERS_KEY)
  if (existing) {
    existing.value = seq
    return
  }
  const at = map.items.findIndex((p) => isScalar(p.key) && p.key.value === 'servers')
  const pair = editor.doc.createPair(FALLBACK_SERVERS_KEY, seq)
  if (at < 0) map.items.push(pair as never)
  else map.items.splice(at, 0, pair as never)
}

export async function runPoolChange(options: PoolChangeOptions): Promise<PoolChangeSummary> {
  const {configFile, note} = options
  const config = await loadConfig(configFile, {extensions: true}).catch((error: Error) => {
    if (error.name === 'ConfigError') throw new UserError(error.message, {cause: error})
    throw error
  })
  const pool = pickPool(config.pools, options.poolName, configFile)
  let journal = readJournal(configFile, pool.name)
  let change: PoolChange
  if (journal) {
    const planned = options.plan({...pool, servers: parseEntries(journal.before)})
    if (planned.action !== journal.action || serverEntries([planned.server])[0] !== journal.server) {
      throw new UserError(`Pool ${pool.name} is in the middle of another change (${describePhase(journal)}): run that command again to finish it first (journal ${journalPath(configFile, pool.name)}).`)
    }
    change = {...planned, before: parseEntries(journal.before), after: parseEntries(journal.after)}
  } else {
    change = options.plan(pool)
  }
  const placement = new MovePlacement(pool, change.before, change.after)
  const clients = new PoolServerClients(pool, options.password)
  const seconds = {plan: 0, switch: 0, move: 0, cleanup: 0}
  let phaseStarted = process.hrtime.bigint()
  const lap = (phase: keyof typeof seconds) => {
    const now = process.hrtime.bigint()
    seconds[phase] += Number(now - phaseStarted) / 1e9
    phaseStarted = now
  }
  const proxy = options.proxy
  try {
    await clients.checkReachable([...change.before, ...change.after.filter((s) => !change.before.some((b) => b.address === s.address))])
    note(journal ? `Finishing an interrupted change: ${describePhase(journal)}.` : `Scanning ${change.before.length} server(s) for keys that change owner...`)
    const countFirst = (!journal || journal.phase === 'planned') && (options.dryRun || !options.noQuestions)
    const counted = countFirst ? await countMovingKeys(clients, placement, change.before) : {scanned: 0, pairs: []}
    const plan: PoolChangePlan = {
      action: change.action,
      pool: pool.name,
      server: {name: change.server.name, address: change.server.address, weight: change.server.weight},
      before: serverEntries(change.before),
      after: serverEntries(change.after),
      scanned: counted.scanned,
      pairs: counted.pairs,
      countedFirst: countFirst,
      ...(journal ? {resuming: describePhase(journal)} : {}),
    }
    const summary: PoolChangeSummary = {...plan, status: 'dry-run', configFile, proxy: {kind: proxy.kind, pid: proxy.pid}, seconds}
    lap('plan')
    if (options.dryRun) return summary
    if (!(await options.confirm(plan))) return {...summary, status: 'cancelled'}
    // time spent asking is nobody's phase
    phaseStarted = process.hrtime.bigint()

    journal ??= {version: 1, action: change.action, pool: pool.name, server: serverEntries([change.server])[0], before: plan.before, after: plan.after, phase: 'planned', updatedAt: ''}
    const save = async (phase: PoolChangeJournal['phase'], extra: Partial<PoolChangeJournal> = {}) => {
      journal = {...journal!, ...extra, phase}
      await writeJournal(configFile, journal)
    }
    if (journal.phase === 'planned') await save('planned')
    const twproxy = proxy.kind === 'twproxy'

    if (journal.phase === 'planned') {
      const written = await editConfigFile(configFile, (editor) => {
        editor.setServers(pool.name, plan.after)
        setFallback(editor, pool.name, twproxy ? plan.before : undefined)
      }, {extensions: true})
      summary.backup = written.backup
      await save('switched', {proxyPid: proxy.pid})
      note(`Wrote ${configFile} with the new servers${twproxy ? ' and fallback_servers' : ''}${written.backup ? ` (backup ${written.backup})` : ''}.`)
      if (proxy.kind === 'nutcracker') {
        note('nutcracker cannot reload its configuration: restart it, then run this command again to move the keys.')
        return {...summary, status: 'restart-needed', restartStep: proxy.restartStep}
      }
    }
    if (journal.phase === 'switched') {
      if (proxy.kind === 'nutcracker' && proxy.pid !== undefined && proxy.pid === journal.proxyPid && isAlive(proxy.pid)) {
        note(`nutcracker (pid ${proxy.pid}) still runs the old configuration: restart it, then run this command again.`)
        return {...summary, status: 'restart-needed', restartStep: proxy.restartStep}
      }
      if (twproxy) {
        note(`Telling twproxy (pid ${proxy.pid}) to reload (SIGUSR1)...`)
        await reloadAndVerify(proxy, pool, placement, clients, options.password)
        note('twproxy routes by the new servers; moving keys.')
      }
      lap('switch')
      const moved: MoveTotals = await moveKeys(pool, clients, placement, change.before, {
        batch: options.batch,
        password: options.password,
        onProgress: (t) => note(`  scanned ${t.scanned}, moved ${t.moved}${t.kept ? `, kept ${t.kept} newer` : ''}`),
      })
      summary.moved = moved.moved
      summary.kept = moved.kept
      if (!countFirst) {
        summary.scanned = moved.scanned
        summary.pairs = moved.pairs
      }
      await save('moved')
      lap('move')
    }
    if (journal.phase === 'moved') {
      if (twproxy) {
        await editConfigFile(configFile, (editor) => setFallback(editor, pool.name, undefined), {extensions: true, backup: false})
        signalReload(proxy)
        note('Removed fallback_servers and told twproxy to reload.')
      }
      await save('finalized')
    }
    const cleaned: CleanupTotals = await deleteStrays(pool, clients, placement, change.before, options.password)
    summary.straysDeleted = cleaned.deleted
    summary.lateMoves = cleaned.moved
    lap('cleanup')
    removeJournal(configFile, pool.name)
    return {...summary, status: 'done'}
  } finally {
    await clients.close()
  }
}
