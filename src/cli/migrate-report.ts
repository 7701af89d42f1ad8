// Human renderings of a plan, a migration result and a verify report (tables on stdout).
import {renderTable} from './table.js'
import type {MigrationResult} from '../migrate/migration.js'
import type {MigrationPlan} from '../migrate/plan.js'
import {formatBytes} from './format.js'
import type {MismatchKind} from '../migrate/verify/verify.js'

export function renderPlan(plan: MigrationPlan): string {
  const lines: string[] = []
  lines.push('Sources:')
  lines.push(renderTable(['source', 'address', 'keys', 'bytes', 'big keys'], plan.sources.map((s) => [
    s.name, s.address, s.keys, `${s.exact ? '' : '~'}${formatBytes(s.bytes)}`, s.bigKeys.length,
  ])))
  lines.push(`Total: ${plan.totalKeys} keys, about ${formatBytes(plan.totalBytes)}.`)
  lines.push('Target masters:')
  lines.push(renderTable(['master', 'slots', 'used', 'maxmemory', 'incoming', 'headroom'], plan.target.map((m) => [
    m.address, m.slots, formatBytes(m.usedMemory), m.maxMemory > 0 ? formatBytes(m.maxMemory) : 'no limit',
    formatBytes(m.incomingBytes), m.headroomBytes === null ? 'no limit' : (m.headroomBytes < 0 ? `-${formatBytes(-m.headroomBytes)}` : formatBytes(m.headroomBytes)),
  ])))
  const big = plan.sources.flatMap((s) => s.bigKeys.slice(0, 5).map((k) => `${k.key} (${formatBytes(k.bytes)} on ${s.name})`))
  if (big.length > 0) lines.push(`Big keys (copied in chunks): ${big.join(', ')}`)
  const cs = plan.crossSlot
  if (cs.poolHashTag) {
    lines.push(`Cross-slot risks (pool hash_tag "${cs.poolHashTag}"): ${cs.split} tag group(s) split across cluster slots, ${cs.joined} cluster {tag} group(s) joined from several pool servers.`)
    for (const g of cs.splitExamples.slice(0, 5)) lines.push(`  split: tag ${g.tag}: ${g.keys.join(', ')} -> slots ${g.spans.join(', ')}`)
  } else if (cs.joined > 0) {
    lines.push(`Cross-slot: ${cs.joined} cluster {tag} group(s) whose keys sit on several sources today will share a slot.`)
  }
  for (const warning of plan.warnings) lines.push(`Warning: ${warning}`)
  return lines.join('\n')
}

export function renderMismatchCounts(counts: Record<MismatchKind, number>): string {
  return (Object.keys(counts) as MismatchKind[]).map((k) => `${counts[k]} ${k}`).join(', ')
}

export function renderMismatches(mismatches: Array<{kind: string; key: string; detail: string}>, limit: number): string {
  const shown = mismatches.slice(0, limit)
  let text = renderTable(['kind', 'key', 'detail'], shown.map((m) => [m.kind, m.key, m.detail]))
  if (mismatches.length > shown.length) text += `\n... and ${mismatches.length - shown.length} more (--json lists them all).`
  return text
}

export function renderMigration(result: MigrationResult): string {
  const s = result.stats
  const lines: string[] = []
  if (result.status === 'interrupted') {
    lines.push(`Stopped after ${s.scanned} keys; the checkpoint is ${result.checkpoint}. Run the same command with --resume to continue.`)
    return lines.join('\n')
  }
  lines.push(renderTable(['', ''], [
    ['keys scanned', s.scanned],
    ['keys copied', s.copied],
    ['bytes copied', formatBytes(s.bytes)],
    ['already identical on the target', s.identical],
    ['big keys copied in chunks', s.bigKeys],
    ['conflicts skipped', s.conflictsSkipped],
    ['duplicates (kept the owner\'s copy)', s.duplicates],
    ['misplaced keys copied', s.misplaced],
    ['vanished during the copy', s.vanished],
    ...(result.online ? [['changes followed', result.changesSeen], ['keys re-copied after a change', s.recopied], ['keys deleted after a delete or expiry', s.deleted]] : []),
    ['copy rate', `${result.keysPerSecond} keys/s`],
    ['time', `${result.seconds.toFixed(1)} s`],
  ] as Array<Array<string | number>>))
  for (const d of s.examples.duplicates.slice(0, 5)) lines.push(`Duplicate: ${d.key} on ${d.alsoOn}, kept the copy on ${d.keptFrom}`)
  for (const k of s.examples.conflicts.slice(0, 5)) lines.push(`Conflict skipped: ${k}`)
  for (const source of result.lostChangeFeeds) lines.push(`Warning: the change feed of ${source} dropped; the final check compared every key.`)
  if (result.verify) {
    const v = result.verify
    if (result.status === 'done') {
      lines.push(`Verified: ${v.checked} source keys and ${v.targetKeys} target keys match${v.repaired > 0 ? ` (${v.repaired} keys that changed during the copy were copied again)` : ''}.`)
    } else {
      lines.push(`Verify found mismatches: ${renderMismatchCounts(v.counts)}.`)
      lines.push(renderMismatches(v.mismatches, 50))
    }
    if (v.inFlux > 0) lines.push(`${v.inFlux} key(s) were still being written on the sources at the end: they follow the change feed${result.cutover ? ' and were compared again with writes paused' : ''}.`)
  } else {
    lines.push('Not verified (--no-verify): run twlab migrate verify.')
  }
  const c = result.cutover
  if (c) {
    lines.push(`Cut over: twproxy now serves the pool from the cluster (${c.cluster.join(', ')}); ${c.configFile} rewritten${c.backup ? `, the old file kept as ${c.backup}` : ''}.`)
    lines.push(`Writes paused for ${c.pausedMs} ms (${c.copiedInPause} last changes copied, ${c.verifiedInPause} keys compared again inside the pause).`)
    for (const f of c.foreignClients) lines.push(`Warning: ${f.source} had ${f.count} client(s) besides twproxy and twlab (${f.clients.join('; ')}): their writes do not reach the cluster.`)
  }
  return lines.join('\n')
}
