// Readiness of a Sentinel lab: replicas linked to their masters, and every sentinel seeing each
// group's master, its replicas and the other sentinels, so a failover can start at once.
import {isPrimaryRole, isReplicaRole} from '../servers/traits.js'
import {adminClient, parseInfo} from './admin-client.js'
import {setTimeout as sleep} from 'node:timers/promises'
import type {LabNode, LabState} from './state.js'

/** SENTINEL replies are flat [field, value, field, value...] arrays. */
export function pairsToMap(reply: unknown): Map<string, string> {
  const map = new Map<string, string>()
  if (!Array.isArray(reply)) return map
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), String(reply[i + 1]))
  return map
}

async function poll(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 100_000; attempt++) {
    try {
      if (await check()) return
    } catch {
      // not ready yet: the node may still be loading or linking
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(attempt < 50 ? 10 : 50)
  }
}

/** Waits until every replica in `replicas` reports master_link_status:up. */
export async function waitForReplicaLinks(replicas: LabNode[], password: string | undefined, timeoutMs = 40_000): Promise<void> {
  await Promise.all(replicas.map((node) => poll(`${node.name} to sync with its master`, timeoutMs, async () => {
    const client = adminClient(node, password)
    try {
      return parseInfo(String(await client.info('replication'))).get('master_link_status') === 'up'
    } finally {
      client.disconnect()
    }
  })))
}

export async function waitForSentinels(lab: LabState, timeoutMs = 40_000): Promise<void> {
  const sentinels = lab.nodes.filter((node) => node.role === 'sentinel')
  const groups = lab.sentinel?.groups ?? []
  await Promise.all(sentinels.map((sentinel) => poll(`${sentinel.name} to see every master, replica and peer`, timeoutMs, async () => {
    const client = adminClient(sentinel, undefined)
    try {
      for (const group of groups) {
        const master = pairsToMap(await client.call('SENTINEL', 'MASTER', group))
        if (!isPrimaryRole(master.get('flags'))) return false
        if (Number(master.get('num-other-sentinels')) < sentinels.length - 1) return false
        const replicas = (await client.call('SENTINEL', 'REPLICAS', group)) as unknown[]
        const expected = lab.nodes.filter((node) => node.role === 'replica' && node.group === group).length
        const healthy = replicas.map(pairsToMap).filter((replica) => isReplicaRole(replica.get('flags')) && replica.get('master-link-status') === 'ok')
        if (healthy.length < expected) return false
      }
      return true
    } finally {
      client.disconnect()
    }
  })))
}
