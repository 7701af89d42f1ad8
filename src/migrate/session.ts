// `twlab migrate` from the library's side, in the steps a command walks through with the user
// between them: prepareMigration (the options checked, the cut-over's twproxy found and answering,
// before anything starts or is asked) -> the command asks -> openMigration (the target lab made
// if asked for, both ends open, the checkpoint rules applied) -> plan() -> the command shows it
// and asks -> run() -> close(). The rules of a run (which checkpoint, when one may be resumed or
// must be, what a refusal says) live here, so the command only parses flags and renders.
import {formatAddress, type Address} from '../address.js'
import {UserError} from '../errors.js'
import type {LabState} from '../lab/state.js'
import type {CaptureMode} from './changes/change-capture.js'
import {checkpointExists, defaultCheckpointPath} from './checkpoint.js'
import {checkCutoverProxy, checkCutoverSources} from './cutover/cutover.js'
import {cutoverProxyOfConfig, cutoverProxyOfLab, type CutoverProxy} from './cutover/cutover-proxy.js'
import {openEndpoints, type Endpoints} from './endpoints.js'
import {runMigration, type MigrationResult} from './migration.js'
import {planMigration, type MigrationPlan} from './plan.js'
import {checkPayloadPairing, type PayloadPairing} from './target/payload-pairing.js'
import type {MigrationProgress} from './progress.js'
import type {SourceOptions} from './source/source-options.js'
import {sourceIdentities} from './source/sources.js'
import type {MigrationTarget} from './target/migration-target.js'
import {ensureTargetLab, existingTargetLab, NEW_LAB_CLUSTER, sourceLabOf} from './target/target-lab.js'
import {ConflictError, type ExistingKeyPolicy} from './target/writer.js'
import {rdbIdentities} from './rdb/rdb-run.js'
import {RdbSession} from './rdb/rdb-session.js'
import {ReverseSession} from './reverse/reverse-session.js'

/** Everything `twlab migrate` was asked to do, in the units the library works in. */
export interface MigrateRequest {
  source: SourceOptions
  /** a node of the target, HOST:PORT, or NEW_LAB_CLUSTER: the source lab's own new cluster lab */
  toCluster?: string
  /** the way back: the pool of -c or --lab is the target, the --from-cluster cluster the source */
  toPool: boolean
  /** --from-rdb: load the files' function libraries on the target */
  loadFunctions: boolean
  /** the shape of that new lab cluster */
  newLab: {masters: number; replicas: number; basePort?: number}
  dryRun: boolean
  /** follow changes made during the copy (a cut-over implies it) */
  online: boolean
  /** online: how changes are followed (undefined: replication where the sources allow it, else notifications) */
  capture?: CaptureMode
  /** online: stop following once no change arrived for this long */
  quietForMs: number
  cutover: boolean
  /** with -c: the twproxy running that file, and its stats address */
  proxyPid?: number
  proxyStats?: string
  pauseLimitMs: number
  switchTimeoutMs: number
  onConflict: ExistingKeyPolicy
  resume: boolean
  restart: boolean
  /** the checkpoint file; default: one per sources and target (defaultCheckpointPath) */
  checkpoint?: string
  verify: boolean
  ttlToleranceMs: number
  bigKeyBytes: number
  chunkElements: number
  scanCount: number
  /** keys per source measured by the plan; 0: every key */
  planSample: number
}

/** Who watches a run: its progress, and whether the user asked it to stop (Ctrl-C). */
export interface RunWatch {
  progress: MigrationProgress
  stopRequested: () => boolean
}

/**
 * The write pause must outlast twproxy's switch by this much: room for the last changes to be
 * copied and compared, the file to be rewritten and the sources unpaused.
 */
const PAUSE_BEYOND_SWITCH_MS = 5000
/** SCAN pages of one source being written at once while the next is read (bulk-copy.ts) */
const PAGES_IN_FLIGHT = 4
/** a big string is rebuilt in APPENDs of this many bytes */
const BIG_STRING_CHUNK_BYTES = 1 << 20

export interface PreparedMigration {
  request: MigrateRequest
  /** the lab the keys come from, when the source is a lab */
  sourceLab?: LabState
  /** --cutover: the twproxy to switch, found and answering its stats */
  cutoverProxy?: CutoverProxy
}

/** The checks that need no connection to the data, and the cut-over's twproxy found. */
export async function prepareMigration(request: MigrateRequest): Promise<PreparedMigration> {
  if (request.switchTimeoutMs + PAUSE_BEYOND_SWITCH_MS > request.pauseLimitMs) {
    throw new UserError(`--pause-limit ${request.pauseLimitMs} ms leaves no room for --switch-timeout ${request.switchTimeoutMs / 1000} s: make it at least ${request.switchTimeoutMs + PAUSE_BEYOND_SWITCH_MS}.`)
  }
  checkEnds(request)
  if (request.cutover && request.source.from) {
    throw new UserError('--cutover switches the twproxy in front of a pool, and --from names bare servers: give the pool with --lab NAME, or -c nutcracker.yml --proxy-pid PID.')
  }
  if (request.cutover && (request.source.fromCluster || request.source.fromSentinel || request.source.fromRdb || request.toPool)) {
    throw new UserError('--cutover switches the twproxy in front of a pool to the cluster: it needs a pool as the source (--lab NAME, or -c nutcracker.yml --proxy-pid PID).')
  }
  if (request.toPool || request.source.fromRdb) return {request}
  // a cluster or a Sentinel group is read as given: the only running lab is not the source then
  const sourceLab = request.source.fromCluster || request.source.fromSentinel ? undefined : sourceLabOf(request.source)
  if (!request.cutover) return {request, sourceLab}
  const {config, pool} = request.source
  const cutoverProxy = sourceLab
    ? cutoverProxyOfLab(sourceLab)
    : await cutoverProxyOfConfig({config, pool, 'proxy-pid': request.proxyPid, 'proxy-stats': request.proxyStats})
  await checkCutoverProxy(cutoverProxy)
  return {request, sourceLab, cutoverProxy}
}

/** A mistake in how the command was written: exit code 2, like oclif's own usage errors. */
const USAGE = {exitCode: 2}

/** Exactly one target; -c and --lab name the source, except with --to-pool, where they name the target. */
function checkEnds(request: MigrateRequest): void {
  const {source} = request
  if (request.toPool && request.toCluster !== undefined) throw new UserError('Give one target: --to-cluster HOST:PORT, or --to-pool (with -c nutcracker.yml or --lab NAME).', USAGE)
  if (!request.toPool && request.toCluster === undefined) throw new UserError('Give the target: --to-cluster HOST:PORT (or, from a cluster, --to-pool with -c nutcracker.yml or --lab NAME).', USAGE)
  if (request.toPool && !source.fromCluster) throw new UserError('--to-pool copies a cluster back into a pool: give the cluster with --from-cluster HOST:PORT.', USAGE)
  if (source.fromCluster && !request.toPool && (source.config || source.lab)) throw new UserError('-c and --lab name a pool; with --from-cluster the pool can only be the target: add --to-pool.', USAGE)
}

/** The steps every kind of migration offers the command. */
export interface OpenedMigration {
  readonly sourcesDescription: string
  readonly targetAddress: string
  /** "cluster HOST:PORT", or the pool of the way back */
  readonly targetDescription: string
  readonly targetLab?: string
  plan(): Promise<MigrationPlan>
  run(watch: RunWatch): Promise<MigrationResult>
  close(): Promise<void>
}

/** Opens whichever migration was asked for: from servers, from RDB files, or a cluster back into a pool. */
export async function openAnyMigration(prepared: PreparedMigration, note: (message: string) => void): Promise<OpenedMigration> {
  const {request} = prepared
  if (request.source.fromRdb) return openRdbMigration(request)
  if (request.toPool) return openReverseMigration(request)
  return openMigration(prepared, note)
}

async function openRdbMigration(request: MigrateRequest): Promise<OpenedMigration> {
  const files = request.source.fromRdb as string[]
  const toCluster = request.toCluster as string
  if (toCluster === NEW_LAB_CLUSTER) throw new UserError('--from-rdb needs the target\'s address: --to-cluster HOST:PORT.')
  const checkpointPath = request.checkpoint ?? defaultCheckpointPath(rdbIdentities(files), toCluster)
  checkCheckpoint(request, checkpointPath)
  const session = await RdbSession.open({
    files, db: request.source.db ?? 0, toCluster, onConflict: request.onConflict, loadFunctions: request.loadFunctions,
    checkpointPath, resume: request.resume, verify: request.verify, ttlToleranceMs: request.ttlToleranceMs,
  })
  return session
}

async function openReverseMigration(request: MigrateRequest): Promise<OpenedMigration> {
  return ReverseSession.open({
    cluster: request.source.fromCluster as string,
    pool: {lab: request.source.lab, config: request.source.config, pool: request.source.pool, password: request.source.password},
    onConflict: request.onConflict, verify: request.verify, ttlToleranceMs: request.ttlToleranceMs, scanCount: request.scanCount,
    online: request.online, quietForMs: request.quietForMs,
  })
}

/** Makes the target lab when asked for one, opens both ends, and applies the checkpoint rules. */
export async function openMigration(prepared: PreparedMigration, note: (message: string) => void): Promise<MigrationSession> {
  const {request, sourceLab} = prepared
  const target = await targetCluster(prepared, note)
  // The source lab is pinned by name: a new target lab makes "the only running lab" ambiguous.
  const endpoints = await openEndpoints({...request.source, ...(sourceLab ? {lab: sourceLab.name} : {})}, target.address)
  try {
    if (request.cutover) checkCutoverSources(endpoints.sources.sources)
    if (target.reusedLab && !request.resume && !request.dryRun && (await keysOn(endpoints.target)) > 0) {
      throw new UserError(`The target lab "${target.lab}" already holds keys: continue its migration with --resume, or remove it with twlab destroy --name ${target.lab} --yes.`)
    }
    const checkpointPath = request.checkpoint ?? defaultCheckpointPath(sourceIdentities(endpoints.sources), formatAddress(endpoints.target.address))
    checkCheckpoint(request, checkpointPath)
    return new MigrationSession(prepared, endpoints, checkpointPath, target.lab)
  } catch (error) {
    await endpoints.close()
    throw error
  }
}

/** The target: the address given, or the source lab's own cluster lab (started unless a dry run). */
async function targetCluster(prepared: PreparedMigration, note: (message: string) => void): Promise<{address: string | Address; lab?: string; reusedLab: boolean}> {
  const {request, sourceLab} = prepared
  if (request.toCluster !== NEW_LAB_CLUSTER) return {address: request.toCluster as string, reusedLab: false}
  if (!sourceLab) {
    throw new UserError('--to-cluster without an address creates a lab cluster, so the source must be a lab: give --lab NAME (or start one with twlab up), or give --to-cluster HOST:PORT.')
  }
  // a dry run starts nothing: it plans against the target lab only when one is running
  const lab = request.dryRun
    ? existingTargetLab(sourceLab, '--dry-run starts no processes')
    : await ensureTargetLab(sourceLab, {...request.newLab, resume: request.resume, note})
  return {address: lab.address, lab: lab.name, reusedLab: !lab.created}
}

/** --resume needs a checkpoint; a fresh start over an unfinished one needs --restart. */
function checkCheckpoint(request: MigrateRequest, path: string): void {
  if (request.resume && !checkpointExists(path)) {
    throw new UserError(`There is no checkpoint to resume at ${path}: run without --resume to start, or give --checkpoint.`)
  }
  if (!request.resume && !request.restart && !request.dryRun && checkpointExists(path)) {
    throw new UserError(`An unfinished migration of these sources has a checkpoint at ${path}: pass --resume to continue it or --restart to start over.`)
  }
}

async function keysOn(target: MigrationTarget): Promise<number> {
  const sizes = await Promise.all(target.masters().map((node) => node.dbsize()))
  return sizes.reduce((a, b) => a + b, 0)
}

/** Both ends open and checked: the plan, then the run, then close. */
export class MigrationSession {
  constructor(private readonly prepared: PreparedMigration, private readonly endpoints: Endpoints,
    /** where this migration's checkpoint is kept */
    readonly checkpointPath: string,
    /** the lab cluster migrated into, when the target is the source lab's own */
    readonly targetLab?: string) {}

  get sourcesDescription(): string {
    return this.endpoints.sources.description
  }

  /** "host:port" of the target node */
  get targetAddress(): string {
    return formatAddress(this.endpoints.target.address)
  }

  get targetDescription(): string {
    return `cluster ${this.targetAddress}`
  }

  async plan(): Promise<MigrationPlan> {
    const {request} = this.prepared
    const plan = await planMigration(this.endpoints.sources, this.endpoints.target, {
      sample: request.planSample === 0 ? Infinity : request.planSample,
      bigKeyBytes: request.bigKeyBytes,
      scanCount: request.scanCount,
    })
    this.payloads = plan.payloads
    return plan
  }

  /** whether keys are RESTOREd or rebuilt type by type (the plan's check, made now if no plan was) */
  private payloads?: PayloadPairing

  async run(watch: RunWatch): Promise<MigrationResult> {
    const {request, cutoverProxy} = this.prepared
    const payloads = this.payloads ?? await checkPayloadPairing(this.endpoints.sources, this.endpoints.target)
    try {
      return await runMigration(this.endpoints.sources, this.endpoints.target, {
        write: {onConflict: request.onConflict, bigKeyBytes: request.bigKeyBytes, chunk: {elements: request.chunkElements, bytes: BIG_STRING_CHUNK_BYTES},
          rebuild: payloads.rebuild, fieldTtl: payloads.fieldTtl},
        scanCount: request.scanCount,
        window: PAGES_IN_FLIGHT,
        online: request.online || request.cutover,
        capture: request.capture,
        quietMs: request.quietForMs,
        checkpointPath: this.checkpointPath,
        resume: request.resume,
        verify: request.verify,
        ttlToleranceMs: request.ttlToleranceMs,
        progress: watch.progress,
        stopRequested: watch.stopRequested,
        cutover: cutoverProxy && {proxy: cutoverProxy, pauseLimitMs: request.pauseLimitMs, switchTimeoutMs: request.switchTimeoutMs},
      })
    } catch (error) {
      if (error instanceof ConflictError) {
        throw new UserError(`${error.message}: nothing was overwritten.`, {
          hint: `Choose --on-conflict skip (keep the target's values) or --on-conflict replace, then run again with --resume (checkpoint ${this.checkpointPath}).`,
        })
      }
      throw error
    }
  }

  close(): Promise<void> {
    return this.endpoints.close()
  }
}
