// Verification of the way back, both ways, as for a migration into a cluster: each cluster key
// against the pool server its hashing places it on (a page's digests compared on that server in
// one script call, the few that differ re-read and settled by the type-aware digest after a short
// pause), then every key of every pool server against the cluster: a key no master holds is extra.
import {setTimeout as sleep} from 'node:timers/promises'
import {gatherRecords, keyOf, payloadLengthOf, VANISHED} from '../copy/record-pack.js'
import {script} from '../copy/scripts.js'
import {compareFlag} from '../target/target-batch.js'
import {readKeys, readPage} from '../source/reader.js'
import type {Source, SourceSet} from '../source/sources.js'
import {valueDigest} from '../verify/digest.js'
import {RECHECK_DELAY_MS, type Mismatch, type MismatchKind, type VerifyReport} from '../verify/verify.js'
import {keysOnNoSource} from '../verify/target-to-sources.js'
import type {PoolServer, WritablePool} from './pool-target.js'

export interface ReverseVerifyOptions {
  ttlToleranceMs: number
  scanCount: number
  onProgress?: (checked: number) => void
}

function ttlText(expireAt: number): string {
  return expireAt > 0 ? `expires ${new Date(expireAt).toISOString()}` : 'no expiry'
}

/** One key compared in full: the cluster's value and expiry against its pool server's. */
async function compareKey(source: Source, server: PoolServer, key: Buffer, toleranceMs: number): Promise<Mismatch | undefined> {
  const [[want], payload, expiry] = await Promise.all([readKeys(source, [key]), server.client.dumpBuffer(key), server.client.pexpiretime(key)])
  if (!want.payload) return undefined // gone from the cluster since the scan
  if (!payload) return {kind: 'missing', key, detail: `on ${source.name}, not on pool server ${server.name}`}
  if (!payload.equals(want.payload)) {
    const [a, b] = await Promise.all([valueDigest(source.client, key), valueDigest(server.client, key)])
    if (a.type !== b.type) return {kind: 'type', key, detail: `${a.type} on ${source.name}, ${b.type} on ${server.name}`}
    if (a.digest !== b.digest) return {kind: 'value', key, detail: `${a.type} values differ (${source.name} vs ${server.name})`}
  }
  const have = Number(expiry) > 0 ? Number(expiry) : 0
  if ((want.expireAt > 0) !== (have > 0) || Math.abs(want.expireAt - have) > toleranceMs) {
    return {kind: 'ttl', key, detail: `${ttlText(want.expireAt)} on ${source.name}, ${ttlText(have)} on ${server.name}`}
  }
  return undefined
}

export async function verifyClusterInPool(sources: SourceSet, pool: WritablePool, options: ReverseVerifyOptions): Promise<VerifyReport> {
  let checked = 0
  const suspects: Array<{source: Source; key: Buffer}> = []
  await Promise.all(sources.sources.map(async (source) => {
    let cursor = '0'
    for (let round = 0; round < 1e9; round++) {
      const page = await readPage(source, cursor, options.scanCount, true)
      cursor = page.cursor
      const groups = new Map<PoolServer, number[]>()
      for (let i = 0; i < page.count; i++) {
        if (payloadLengthOf(page, i) === VANISHED) continue
        const server = pool.ownerOf(keyOf(page, i))
        const list = groups.get(server) ?? []
        list.push(i)
        groups.set(server, list)
      }
      await Promise.all([...groups].map(async ([server, indexes]) => {
        const reply = await script(server.client, 'twlabComparePacked')(0, options.ttlToleranceMs, gatherRecords(page, indexes), '1') as unknown[]
        for (let f = 1; f + 1 < reply.length; f += 2) {
          const index = indexes[Number(reply[f]) - 1]
          if (compareFlag(page, index, reply[f + 1])) suspects.push({source, key: keyOf(page, index)})
        }
      }))
      checked += page.count
      options.onProgress?.(checked)
      if (cursor === '0') break
    }
  }))
  let poolKeys = 0
  const extraSuspects: Buffer[] = []
  for (const server of pool.servers) {
    let cursor = '0'
    for (let round = 0; round < 1e9; round++) {
      const [next, keys] = await server.client.scanBuffer(cursor, 'COUNT', options.scanCount)
      poolKeys += keys.length
      extraSuspects.push(...(await keysOnNoSource(sources, keys)))
      cursor = next.toString()
      if (cursor === '0') break
    }
  }
  const mismatches: Mismatch[] = []
  if (suspects.length > 0 || extraSuspects.length > 0) await sleep(RECHECK_DELAY_MS)
  for (const {source, key} of suspects) {
    const found = await compareKey(source, pool.ownerOf(key), key, options.ttlToleranceMs)
    if (found) mismatches.push(found)
  }
  for (const key of await keysOnNoSource(sources, extraSuspects)) mismatches.push({kind: 'extra', key, detail: 'on the pool, on no cluster master'})
  const counts: Record<MismatchKind, number> = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}
  for (const m of mismatches) counts[m.kind]++
  return {checked, targetKeys: poolKeys, mismatches, counts}
}
