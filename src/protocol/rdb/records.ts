// What the RDB reader yields, one record per meaningful item of the file, in file order.
import type {RdbFlavor, ValueKind} from './constants.js'

export interface HeaderRecord {
  kind: 'header'
  /** 10 for Redis 7.0, 11 for 7.2 and Valkey 7.2/8, 12 for Redis 7.4/8.0, 80 for Valkey 9 */
  version: number
  flavor: RdbFlavor
}

/** AUX fields: redis-ver, redis-bits, ctime, used-mem, repl-id, repl-offset, aof-base... */
export interface AuxRecord {
  kind: 'aux'
  name: string
  value: Buffer
}

export interface SelectDbRecord {
  kind: 'select-db'
  db: number
}

export interface ResizeDbRecord {
  kind: 'resize-db'
  db: number
  keys: number
  expires: number
}

/** Cluster-mode files: the slot the following keys belong to, and its sizes. */
export interface SlotInfoRecord {
  kind: 'slot-info'
  db: number
  slot: number
  keys: number
  expires: number
}

/** Valkey 9 atomic slot migration: the import job and its slot ranges. */
export interface SlotImportRecord {
  kind: 'slot-import'
  job: Buffer
  ranges: Array<[number, number]>
}

/** A function library (FUNCTION LOAD's source text, with its #!engine name=... header line). */
export interface FunctionRecord {
  kind: 'function'
  code: Buffer
}

export interface KeyRecord {
  kind: 'key'
  db: number
  key: Buffer
  /** the RDB value type byte (which also names the encoding) */
  typeByte: number
  /** what TYPE answers for the key */
  type: ValueKind
  /** absolute expiry in ms since the epoch, or undefined */
  expireAtMs: number | undefined
  /** the value's exact encoding, after the type byte: restorePayload(typeByte, valueBytes, version) */
  valueBytes: Buffer
  /** absolute offset of the value's type byte in the stream */
  offset: number
}

export interface EndRecord {
  kind: 'end'
  /** the checksum the file declares, undefined when the writer disabled it (0) or the version predates it */
  checksum: bigint | undefined
  /** bytes already received after the RDB (a replication stream continues there) */
  trailing: Buffer
  /** total bytes of the RDB, checksum included */
  size: number
}

export type RdbRecord =
  | HeaderRecord | AuxRecord | SelectDbRecord | ResizeDbRecord | SlotInfoRecord | SlotImportRecord
  | FunctionRecord | KeyRecord | EndRecord
