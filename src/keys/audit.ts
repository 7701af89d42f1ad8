// `keys audit`: every key stored somewhere hashing (pool) or slot ownership (cluster) does not
// send it, counted per node and per owner, with the first N listed.
import type {Target} from '../targets/types.js'
import {keyToJson} from '../key-text.js'
import {findMisplaced} from './misplaced.js'
import {keyCount} from './scan.js'

export interface AuditedKey {
  key: string
  keyBase64?: string
  /** the node holding it (name) */
  node: string
  /** where it belongs (name) */
  owner: string
}

export interface NodeAudit {
  id: string
  name: string
  address: string
  /** keys looked at on this node */
  checked: number
  misplaced: number
  /** misplaced keys on this node by the node they belong on */
  byOwner: Record<string, number>
}

export interface AuditReport {
  target: string
  kind: Target['kind']
  nodes: NodeAudit[]
  totalMisplaced: number
  /** the first `limit` misplaced keys found */
  keys: AuditedKey[]
  /** true when more were found than listed */
  truncated: boolean
  seconds: number
}

export interface AuditOptions {
  /** how many misplaced keys to list (counts are always complete) */
  limit?: number
  count?: number
  /** called once before the search with how many keys it will look at (pool: DBSIZE total; cluster: unknown, 0) */
  onStart?: (keys: number) => void
  onScanned?: (keys: number) => void
}

export async function auditTarget(target: Target, options: AuditOptions = {}): Promise<AuditReport> {
  const limit = options.limit ?? 100
  const listed: AuditedKey[] = []
  const byOwner = new Map<string, Record<string, number>>()
  let total = 0
  let scanned = 0
  if (options.onStart) {
    const sizes = target.kind === 'pool' ? await Promise.all(target.nodes().map((node) => keyCount(target.client(node)))) : []
    options.onStart(sizes.reduce((sum, size) => sum + size, 0))
  }
  const started = process.hrtime.bigint()
  const checks = await findMisplaced(target, {
    count: options.count,
    onScanned: (_node, keys) => {
      scanned += keys
      options.onScanned?.(scanned)
    },
    onMisplaced: (found) => {
      for (const entry of found) {
        total++
        const counts = byOwner.get(entry.node.id) ?? {}
        counts[entry.owner.name] = (counts[entry.owner.name] ?? 0) + 1
        byOwner.set(entry.node.id, counts)
        if (listed.length < limit) listed.push({...keyToJson(entry.key), node: entry.node.name, owner: entry.owner.name})
      }
    },
  })
  return {
    target: target.description,
    kind: target.kind,
    nodes: checks.map((check) => ({
      id: check.node.id,
      name: check.node.name,
      address: check.node.address,
      checked: check.checked,
      misplaced: check.misplaced,
      byOwner: byOwner.get(check.node.id) ?? {},
    })),
    totalMisplaced: total,
    keys: listed,
    truncated: total > listed.length,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  }
}
