// Which RDB version a RESTORE payload built from a file's bytes may carry for a given target. A
// server accepts payloads of its own RDB version and older (Valkey 9: up to 11, and its own 80;
// Redis 7.4 and 8 numbers, 12 and up, are foreign to it). A file newer than the target can still
// go as RESTORE when the key's type byte means the same on the target: the payload is then stamped
// with the target's version. A type the target lacks is rebuilt as an older type holding the same
// value (protocol/rdb/older-encoding.ts: a listpack set as a plain set, a stream without its
// consumers' active times, a hash with field-expiry support but no field expiring as a plain
// hash); one with no such form (a hash whose fields expire, into a server without field expiries)
// is refused with a sentence naming the key.
import type {Redis} from 'ioredis'
import {UserError} from '../../errors.js'
import {keyText} from '../../key-text.js'
import {olderEncoding, type RdbFlavor} from '../../protocol/rdb/index.js'

export interface TargetRdb {
  /** the target's own RDB version */
  version: number
  flavor: 'redis' | 'valkey'
  /** e.g. "Valkey 9.1.0" */
  name: string
}

/** The highest type byte each RDB version defines, where Redis and Valkey agree (up to 21). */
const HIGHEST_TYPE: Array<[version: number, type: number]> = [[9, 15], [10, 19], [11, 21], [12, 25], [80, 22]]
const SHARED_TYPES_UP_TO = 21

/** The target's RDB version, from INFO server (the version each release writes). */
export async function targetRdb(node: Redis): Promise<TargetRdb> {
  const info = await node.info('server')
  const valkey = /valkey_version:(\d+)\.(\d+)\.(\d+)/.exec(info)
  if (valkey) {
    const major = Number(valkey[1])
    return {version: major >= 9 ? 80 : 11, flavor: 'valkey', name: `Valkey ${valkey[1]}.${valkey[2]}.${valkey[3]}`}
  }
  const redis = /redis_version:(\d+)\.(\d+)\.(\d+)/.exec(info)
  const [major, minor] = redis ? [Number(redis[1]), Number(redis[2])] : [0, 0]
  const version = major >= 8 || (major === 7 && minor >= 4) ? 12 : major === 7 && minor >= 2 ? 11 : major === 7 ? 10 : 9
  return {version, flavor: 'redis', name: `Redis ${redis ? `${redis[1]}.${redis[2]}.${redis[3]}` : '(unknown version)'}`}
}

function accepts(target: TargetRdb, fileVersion: number): boolean {
  if (target.flavor === 'valkey' && target.version >= 80) return fileVersion <= 11 || fileVersion === target.version
  return fileVersion <= target.version
}

function highestType(version: number): number {
  let highest = 0
  for (const [v, type] of HIGHEST_TYPE) if (v <= version) highest = type
  return highest
}

export interface RestoreForm {
  typeByte: number
  valueBytes: Buffer
  /** the RDB version the payload is stamped with */
  version: number
}

/**
 * How a value of `typeByte` from a file of `fileVersion` goes to the target: as it is, stamped
 * with the version the target takes, or rebuilt as an older type; throws a UserError naming the
 * key when the target cannot hold it at all.
 */
export function restoreForm(target: TargetRdb, fileVersion: number, typeByte: number, valueBytes: Buffer, key: Buffer): RestoreForm {
  if (accepts(target, fileVersion)) return {typeByte, valueBytes, version: fileVersion}
  const ownBase = target.flavor === 'valkey' && target.version >= 80 ? 11 : target.version
  const highest = highestType(ownBase)
  if (typeByte <= SHARED_TYPES_UP_TO && typeByte <= highest) return {typeByte, valueBytes, version: ownBase}
  const flavor: RdbFlavor = fileVersion >= 80 ? 'valkey' : 'redis'
  const older = olderEncoding(typeByte, valueBytes, flavor, highest)
  if (older && older.typeByte <= highest) return {...older, version: ownBase}
  throw new UserError(`Key ${keyText(key)} holds a value of RDB type ${typeByte} (file RDB version ${fileVersion}), which ${target.name} (RDB ${target.version}) cannot restore in any form: restore into a server of the file's version or newer.`)
}
