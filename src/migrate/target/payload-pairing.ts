// Whether the target takes the sources' DUMP payloads. A payload carries the RDB version of the
// server that wrote it, and a server refuses a newer one ("DUMP payload version or checksum are
// wrong"): Redis 7.0 writes RDB 10, Redis 7.4/8.0 write 12, Valkey 8 writes 11 and Valkey 9
// writes 80, which Redis refuses, and Valkey 9 refuses Redis's 12. Checked, not looked up: a key
// of each source is DUMPed for its version, and each target master is given a probe RESTORE of
// a tiny payload of that version (under a temporary name, deleted at once). When any master
// refuses, keys are copied type by type (rebuild.ts); the plan says so in one sentence.
import type {Redis} from 'ioredis'
import {keySlot} from '../../hashing/index.js'
import {restorePayload, splitDumpPayload} from '../../protocol/rdb/index.js'
import type {Source, SourceSet} from '../source/sources.js'
import type {MigrationTarget} from './migration-target.js'

export const PAYLOAD_REFUSED = /payload version or checksum are wrong/i

export interface PayloadPairing {
  /** true when the target refuses some source's payloads: keys are rebuilt with commands */
  rebuild: boolean
  /** the target has HPEXPIREAT (hash field TTLs survive a rebuild) */
  fieldTtl: boolean
  /** one sentence for the plan; undefined when RESTORE works as usual */
  note?: string
}

/** "redis 8.0.2" from INFO server (Valkey reports its own version beside redis_version). */
async function serverVersion(client: Redis): Promise<string> {
  const info = String(await client.info('server'))
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim()
  const valkey = field('valkey_version')
  return valkey ? `valkey ${valkey}` : `redis ${field('redis_version') ?? '?'}`
}

/**
 * The RDB version of the source's DUMP payloads, or undefined when it holds no key to DUMP. A
 * cluster master importing a slot holds keys it answers MOVED for (without ASKING): another key is tried.
 */
async function sourceRdbVersion(source: Source): Promise<number | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const key = await source.client.randomkeyBuffer()
    if (key === null) return undefined
    let payload: Buffer | null
    try {
      payload = await source.client.dumpBuffer(key)
    } catch (error) {
      if (/^(MOVED|ASK) /.test((error as Error).message)) continue
      throw error
    }
    const parts = payload ? splitDumpPayload(payload) : undefined
    if (parts) return parts.rdbVersion
  }
  return undefined
}

/** A key name whose slot `master` serves, for the probe. */
function probeKeyFor(ranges: Array<[number, number]>): Buffer | undefined {
  for (let i = 0; i < 100_000; i++) {
    const key = Buffer.from(`twlab-migrate-rdb-probe:${i}`)
    const slot = keySlot(key)
    if (ranges.some(([first, last]) => slot >= first && slot <= last)) return key
  }
  return undefined
}

/** Whether `master` takes a payload of `rdbVersion` (a tiny string, RESTOREd and deleted). */
async function accepts(master: Redis, key: Buffer, rdbVersion: number): Promise<boolean> {
  const payload = restorePayload(0, Buffer.from([1, 0x78]), rdbVersion)
  try {
    await master.call('RESTORE', key, '60000', payload, 'REPLACE')
    await master.del(key)
    return true
  } catch (error) {
    if (PAYLOAD_REFUSED.test((error as Error).message)) return false
    throw error
  }
}

/** Slot ranges per master "host:port", from CLUSTER SLOTS. */
async function rangesByMaster(target: MigrationTarget): Promise<Map<string, Array<[number, number]>>> {
  const slots = (await target.client.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>
  const ranges = new Map<string, Array<[number, number]>>()
  for (const [first, last, [host, port]] of slots) {
    const address = `${host}:${port}`
    ranges.set(address, [...(ranges.get(address) ?? []), [first, last]])
  }
  return ranges
}

export async function checkPayloadPairing(sources: SourceSet, target: MigrationTarget): Promise<PayloadPairing> {
  const versions = await Promise.all(sources.sources.map(async (source) => ({source, rdb: await sourceRdbVersion(source)})))
  const distinct = [...new Set(versions.flatMap((v) => (v.rdb === undefined ? [] : [v.rdb])))]
  const masters = target.masters()
  const ranges = await rangesByMaster(target)
  const refused: Array<{master: Redis; rdb: number}> = []
  for (const master of masters) {
    const key = probeKeyFor(ranges.get(`${master.options.host}:${master.options.port}`) ?? [])
    if (key === undefined) continue
    for (const rdb of distinct) if (!(await accepts(master, key, rdb))) refused.push({master, rdb})
  }
  const fieldTtl = masters.length > 0 && (await hasCommand(masters[0], 'hpexpireat'))
  if (refused.length === 0) return {rebuild: false, fieldTtl}
  const [first] = refused
  const writer = versions.find((v) => v.rdb === first.rdb)!.source
  const note = `${writer.name} (${await serverVersion(writer.client)}) writes DUMP payloads of RDB version ${first.rdb}, which the target's ${await serverVersion(first.master)} refuses: keys are copied type by type (rebuilt with their commands, expiries kept${fieldTtl ? '' : '; hash field TTLs are dropped, the target has no HPEXPIREAT'}).`
  return {rebuild: true, fieldTtl, note}
}

async function hasCommand(client: Redis, name: string): Promise<boolean> {
  const info = (await client.call('COMMAND', 'INFO', name)) as unknown[]
  return Array.isArray(info) && info[0] !== null
}
