import {renderTable} from '../../src/cli/table.js'
import {CLUSTER_SLOTS} from '../../src/hashing/index.js'
import {checkCluster, type ClusterReport, type ProblemKind} from '../../src/cluster/check.js'
import {SlotMoveCommand, clusterFlags} from '../../src/cli/slot-move-command.js'

/** lines listed per kind of problem before the rest is only counted */
const LINES_PER_KIND = 5

const KIND_WORDS: Record<ProblemKind, [string, string]> = {
  'open-slot': ['half-moved (open) slot', 'half-moved (open) slots'],
  uncovered: ['gap in slot coverage', 'gaps in slot coverage'],
  failing: ['failing node', 'failing nodes'],
  unreachable: ['node not answering', 'nodes not answering'],
  disagreement: ['node with another view', 'nodes with another view'],
}

/** "64 half-moved (open) slots, 1 failing node" */
function summarize(counts: ClusterReport['counts']): string {
  return Object.entries(counts).map(([kind, count]) => `${count} ${KIND_WORDS[kind as ProblemKind][count === 1 ? 0 : 1]}`).join(', ')
}

/** The commands that fix what was found, most specific first. */
function nextSteps(report: ClusterReport, target: string): string[] {
  const steps: string[] = []
  const {counts} = report
  if (report.unfinishedJournal) steps.push(`twlab reshard ${target} --resume   (finishes the interrupted reshard in ${report.unfinishedJournal})`)
  if (counts['open-slot'] || counts.uncovered) steps.push(`twlab cluster fix ${target}   (closes open slots and gives ownerless slots an owner)`)
  if (counts.failing || counts.unreachable) steps.push(`start the nodes that are down (\`twlab start NODE\` in a lab), or let their replicas take over; then \`twlab cluster check ${target}\``)
  if (counts.disagreement && steps.length === 0) steps.push(`views usually converge within seconds: run \`twlab cluster check ${target}\` again`)
  return steps
}

export default class ClusterCheck extends SlotMoveCommand {
  static override summary = 'Check a Redis Cluster: every node agrees, every slot has one owner, nothing is half-moved.'
  static override description = 'Exits 0 when the cluster is healthy, 1 when a problem is listed; the summary at the end names the command that fixes it (`twlab reshard --resume` for an interrupted reshard, `twlab cluster fix` for open and ownerless slots).'
  static override examples = ['<%= config.bin %> cluster check --lab c', '<%= config.bin %> cluster check --cluster 127.0.0.1:7000 --json']
  static override flags = {...clusterFlags}

  async run(): Promise<ClusterReport & {summary: string; fix: string[]}> {
    const {flags} = await this.parse(ClusterCheck)
    const target = await this.connect(flags)
    try {
      const report = await checkCluster(target)
      const summary = report.ok ? 'healthy' : summarize(report.counts)
      const fix = nextSteps(report, this.clusterFlagText)
      if (!this.jsonEnabled()) this.render(report, summary, fix)
      if (!report.ok) process.exitCode = 1
      return {...report, summary, fix}
    } finally {
      await target.close()
    }
  }

  private render(report: ClusterReport, summary: string, fix: string[]): void {
    this.log(renderTable(['node', 'id', 'role', 'slots', 'ranges', 'keys', 'replicas / master', 'flags'], report.nodes.map((node) => [
      node.address, node.id.slice(0, 8), node.role, node.slots, node.ranges.length > 40 ? `${node.ranges.slice(0, 37)}...` : node.ranges,
      node.keys ?? '-', node.role === 'master' ? node.replicas : node.master ?? '-', node.flags,
    ])))
    if (report.ok) {
      this.log(`OK: all nodes agree, all ${CLUSTER_SLOTS} slots are covered, no slot is open.`)
      return
    }
    for (const kind of Object.keys(report.counts) as ProblemKind[]) {
      const ofKind = report.problems.filter((problem) => problem.kind === kind)
      for (const problem of ofKind.slice(0, LINES_PER_KIND)) this.log(`[${problem.kind}] ${problem.message}`)
      if (ofKind.length > LINES_PER_KIND) this.log(`[${kind}] ... and ${ofKind.length - LINES_PER_KIND} more`)
    }
    this.log(`Problems: ${summary}.`)
    if (fix.length > 0) this.log(`To fix:\n${fix.map((step) => `  ${step}`).join('\n')}`)
  }
}
