// The keys of RDB files as a migration wants them: the files read in turn through the project's
// streamed reader (src/protocol/rdb), only the database asked for, keys already expired left out,
// everything else counted for the report (keys of other databases, function libraries, the
// files' versions). A module type or a damaged file stops the stream with the reader's own
// sentence (it names the key, or the byte offset). At most one reader batch is held at a time.
import {statSync} from 'node:fs'
import {UserError} from '../../errors.js'
import {rdbFileSource, RdbError, readRdbBatches, type FunctionRecord, type KeyRecord} from '../../protocol/rdb/index.js'

export interface RdbFileReport {
  file: string
  bytes: number
  /** RDB version and the writer's flavor */
  version: number
  flavor: 'redis' | 'valkey'
  /** keys of the database asked for (expired ones included) */
  keys: number
}

export interface RdbReport {
  files: RdbFileReport[]
  db: number
  /** keys of the database asked for whose expiry had passed: not restored */
  expired: number
  /** keys of other databases, per database: not restored */
  skippedDbs: Record<string, number>
  /** function libraries in the files */
  functions: number
  functionsLoaded: boolean
}

export function emptyReport(db: number, loadFunctions: boolean): RdbReport {
  return {files: [], db, expired: 0, skippedDbs: {}, functions: 0, functionsLoaded: loadFunctions}
}

/** What names a file in a checkpoint: its path and size (a file that changed is another file). */
export function fileIdentity(file: string): string {
  return `${file} (${fileSize(file)} bytes)`
}

function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch (error) {
    throw new UserError(`The RDB file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the path of an RDB file.`, {cause: error})
  }
}

export interface StreamEvents {
  /**
   * Every key of the database asked for, in file order; `ordinal` counts them from 0 per file;
   * `expired`: its expiry has passed (counted in the report; never to be written).
   */
  key(record: KeyRecord, ordinal: number, expired: boolean): Promise<void> | void
  function?(record: FunctionRecord): Promise<void> | void
}

/** Streams one file's keys of `db` to `events`, filling `report`; expired keys are counted, not passed. */
export async function streamRdbFile(file: string, report: RdbReport, events: StreamEvents, now = Date.now()): Promise<RdbFileReport> {
  const entry: RdbFileReport = {file, bytes: fileSize(file), version: 0, flavor: 'redis', keys: 0}
  report.files.push(entry)
  try {
    for await (const batch of readRdbBatches(rdbFileSource(file), {maxBatch: 256})) {
      for (const record of batch) {
        if (record.kind === 'header') {
          entry.version = record.version
          entry.flavor = record.flavor
        } else if (record.kind === 'function') {
          report.functions++
          await events.function?.(record)
        } else if (record.kind === 'key') {
          if (record.db !== report.db) {
            report.skippedDbs[record.db] = (report.skippedDbs[record.db] ?? 0) + 1
            continue
          }
          const expired = record.expireAtMs !== undefined && record.expireAtMs <= now
          if (expired) report.expired++
          await events.key(record, entry.keys++, expired)
        }
      }
    }
  } catch (error) {
    if (error instanceof RdbError) throw new UserError(`${file}: ${error.message}`, {cause: error})
    if ((error as NodeJS.ErrnoException).code) throw new UserError(`The RDB file ${file} cannot be read (${(error as NodeJS.ErrnoException).code}).`, {cause: error})
    throw error
  }
  return entry
}
