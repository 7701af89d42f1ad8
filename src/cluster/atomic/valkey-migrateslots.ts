// Valkey 9's atomic slot migration behind the NativeSlotMigration seam. Facts read from Valkey's
// source and checked on valkey-server 9.1.2:
// - CLUSTER MIGRATESLOTS SLOTSRANGE a b [a b ...] NODE id [SLOTSRANGE ... NODE id ...] goes to the
//   source primary and answers OK once every job is created (one job per NODE group); it is
//   refused while any slot of that node is MIGRATING/IMPORTING by hand, or already exporting.
// - A source snapshots one job at a time (a forked child per job); other jobs of the same source
//   wait in "waiting-to-snapshot". Different sources run side by side.
// - CLUSTER GETSLOTMIGRATIONS lists jobs as flat field/value arrays (name, operation,
//   slot_ranges "a-b c-d", target_node, source_node, create_time, state, message, ...).
// - CLUSTER CANCELSLOTMIGRATIONS ALL cancels every export of the node ("No migrations ongoing"
//   when there is none). A job past "failover-granted" may still end in success.
import type {ClusterNodeInfo} from '../../targets/cluster-nodes.js'
import type {ClusterTarget} from '../../targets/cluster.js'
import {parseRangeList, type NativeJob, type NativeSlotMigration, type RangeGroup} from './native-migration.js'

/** How far along each export state is, for progress (snapshot and streaming dominate). */
const EXPORT_PROGRESS: Record<string, number> = {
  connecting: 0.02,
  'sending-auth-command': 0.03,
  'reading-auth-response': 0.03,
  'sending-establish-command': 0.04,
  'reading-establish-response': 0.05,
  'waiting-to-snapshot': 0.1,
  snapshotting: 0.3,
  replicating: 0.85,
  'waiting-to-pause': 0.9,
  'failover-paused': 0.93,
  'failover-granted': 0.97,
}

const FINISHED = new Set(['success', 'failed', 'cancelled'])

export class ValkeyMigrateSlots implements NativeSlotMigration {
  readonly command = 'CLUSTER MIGRATESLOTS'

  batches(groups: RangeGroup[]): RangeGroup[][] {
    const bySource = new Map<string, RangeGroup[]>()
    for (const group of groups) bySource.set(group.from, [...(bySource.get(group.from) ?? []), group])
    return [...bySource.values()]
  }

  async start(target: ClusterTarget, batch: RangeGroup[]): Promise<void> {
    const source = target.byId(batch[0].from)
    if (!source) throw new Error(`the source ${batch[0].from.slice(0, 8)} is not in the cluster`)
    const args = batch.flatMap((group) => ['SLOTSRANGE', ...group.ranges.flat(), 'NODE', group.to])
    await target.client(source).call('CLUSTER', 'MIGRATESLOTS', ...args)
  }

  reporter(target: ClusterTarget, group: RangeGroup): ClusterNodeInfo | undefined {
    return target.byId(group.from)
  }

  async jobs(target: ClusterTarget, node: ClusterNodeInfo): Promise<NativeJob[]> {
    const reply = (await target.client(node).call('CLUSTER', 'GETSLOTMIGRATIONS')) as unknown[][]
    return reply.map(fieldsOf).filter((fields) => fields.get('operation') === 'EXPORT').map(jobOf)
  }

  async cancelAll(target: ClusterTarget, node: ClusterNodeInfo): Promise<boolean> {
    try {
      await target.client(node).call('CLUSTER', 'CANCELSLOTMIGRATIONS', 'ALL')
      return true
    } catch (error) {
      if (/no migrations ongoing/i.test((error as Error).message)) return false
      throw error
    }
  }
}

function fieldsOf(entry: unknown[]): Map<string, string> {
  const fields = new Map<string, string>()
  for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), String(entry[i + 1]))
  return fields
}

function jobOf(fields: Map<string, string>): NativeJob {
  const state = fields.get('state') ?? 'unknown'
  const finished = FINISHED.has(state)
  return {
    name: fields.get('name') ?? '',
    from: fields.get('source_node') ?? '',
    to: fields.get('target_node') ?? '',
    ranges: parseRangeList(fields.get('slot_ranges') ?? ''),
    state,
    message: fields.get('message') ?? '',
    finished,
    succeeded: state === 'success',
    fraction: finished ? 1 : EXPORT_PROGRESS[state] ?? 0.05,
    createdAt: Number(fields.get('create_time') ?? 0),
  }
}
