// `twlab migrate --from-rdb FILE...` from the command's side: the same steps as a migration from
// servers (session.ts: plan, then run, then close), with the target cluster as the only live end.
// The plan names the files (size, RDB version, where they were written) without reading them
// whole: the header is enough.
import {statSync} from 'node:fs'
import {formatAddress} from '../../address.js'
import {UserError} from '../../errors.js'
import {readRdb, rdbFileSource} from '../../protocol/rdb/index.js'
import type {MigrationPlan} from '../plan.js'
import {connectTarget, type MigrationTarget} from '../target/migration-target.js'
import type {ExistingKeyPolicy} from '../target/writer.js'
import type {MigrationProgress} from '../progress.js'
import {runRdbMigration, type RdbMigrationResult} from './rdb-run.js'
import {parseAddress} from '../../address.js'

export interface RdbRequest {
  files: string[]
  db: number
  toCluster: string
  onConflict: ExistingKeyPolicy
  loadFunctions: boolean
  checkpointPath: string
  resume: boolean
  verify: boolean
  ttlToleranceMs: number
}

export class RdbSession {
  private constructor(private readonly request: RdbRequest, private readonly target: MigrationTarget) {}

  static async open(request: RdbRequest): Promise<RdbSession> {
    for (const file of request.files) {
      try {
        if (!statSync(file).isFile()) throw new Error('not a file')
      } catch {
        throw new UserError(`The RDB file ${file} cannot be read: give the path of an RDB file (a dump.rdb or a backup of one).`)
      }
    }
    return new RdbSession(request, await connectTarget(parseAddress(request.toCluster, {what: '--to-cluster'})))
  }

  get sourcesDescription(): string {
    return `${this.request.files.length} RDB file(s), db ${this.request.db}`
  }

  get targetAddress(): string {
    return formatAddress(this.target.address)
  }

  get targetDescription(): string {
    return `cluster ${this.targetAddress}`
  }

  async plan(): Promise<MigrationPlan> {
    const sources = await Promise.all(this.request.files.map(async (file) => ({
      name: file, address: await headerText(file), keys: 0, sampled: 0, bytes: statSync(file).size, exact: true, bigKeys: [],
    })))
    return {
      sources, totalKeys: 0, totalBytes: sources.reduce((sum, s) => sum + s.bytes, 0), target: [],
      crossSlot: {split: 0, splitExamples: [], joined: 0, joinedExamples: []},
      warnings: [],
    }
  }

  run(watch: {progress: MigrationProgress; stopRequested: () => boolean}): Promise<RdbMigrationResult> {
    return runRdbMigration(this.target, {...this.request, progress: watch.progress, stopRequested: watch.stopRequested})
  }

  close(): Promise<void> {
    return this.target.close()
  }
}

/** "RDB 12 (redis)", from the file's first record. */
async function headerText(file: string): Promise<string> {
  const stream = rdbFileSource(file)
  try {
    for await (const record of readRdb(stream)) {
      if (record.kind === 'header') return `RDB ${record.version} (${record.flavor})`
      break
    }
  } catch (error) {
    throw new UserError(`${file} is not an RDB file: ${(error as Error).message}`, {cause: error})
  } finally {
    stream.destroy()
  }
  return 'RDB'
}
