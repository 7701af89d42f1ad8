import {targetFlags} from '../../src/cli/target-flags.js'
import {Flags} from '@oclif/core'
import {type DistributionReport, sampleDistribution, scanDistribution} from '../../src/keys/dist.js'
import {openTarget, resolveTarget} from '../../src/lab/target.js'
import {renderBarChart} from '../../src/cli/bar-chart.js'
import {BaseCommand} from '../../src/cli/base-command.js'
import {formatBytes, formatCount, formatPercent} from '../../src/cli/format.js'
import {progressBar} from '../../src/cli/progress-bar.js'
import {renderTable} from '../../src/cli/table.js'

export default class KeysDist extends BaseCommand {
  static override summary = 'Show how keys and memory are spread over the servers or cluster nodes.'
  static override description = `Scans every server (or cluster master) in parallel with SCAN, never KEYS, and shows per node: keys, share of keys, the share hashing predicts (ketama continuum arcs, weights, or owned slots) and the spread (max/mean, standard deviation). --memory adds MEMORY USAGE per key; --top N lists the largest keys. --sample N estimates the spread from N generated keys without touching the servers.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> -c nutcracker.yml',
    '<%= config.bin %> <%= command.id %> --cluster 127.0.0.1:7000 --memory --top 10',
    '<%= config.bin %> <%= command.id %> -c nutcracker.yml --sample 100000 --json',
  ]

  static override flags = {
    ...targetFlags,
    memory: Flags.boolean({description: 'add MEMORY USAGE of every key (pipelined; slower)', default: false}),
    top: Flags.integer({description: 'list the N largest keys (implies --memory)', min: 1}),
    sample: Flags.integer({description: 'estimate from N generated keys placed by hashing, without scanning', min: 1, exclusive: ['memory', 'top']}),
    prefix: Flags.string({description: 'generated keys for --sample are PREFIX0, PREFIX1, ... (default "key:")', dependsOn: ['sample']}),
    count: Flags.integer({description: 'SCAN COUNT per call', default: 1000, min: 1}),
  }

  async run(): Promise<DistributionReport> {
    const {flags} = await this.parse(KeysDist)
    if (flags.sample !== undefined) {
      // placing generated keys needs the topology, not the servers' data
      const target = await resolveTarget(flags)
      try {
        const report = sampleDistribution(target, {keys: flags.sample, prefix: flags.prefix})
        this.show(report)
        return report
      } finally {
        await target.close()
      }
    }
    const target = await openTarget(flags)
    const bar = progressBar('scanning', {enabled: !this.jsonEnabled()})
    try {
      const report = await scanDistribution(target, {
        memory: flags.memory,
        top: flags.top,
        count: flags.count,
        onStart: (total) => bar.start(total),
        onProgress: (done) => bar.update(done),
      })
      bar.stop()
      this.show(report)
      return report
    } finally {
      bar.stop()
      await target.close()
    }
  }

  private show(report: DistributionReport): void {
    if (this.jsonEnabled()) return
    const memory = report.totalMemoryBytes !== undefined
    const head = ['node', 'address', report.mode === 'sample' ? 'sampled keys' : 'keys', 'share', 'predicted', ...(memory ? ['memory', 'memory share'] : [])]
    const rows = report.nodes.map((node) => [
      // cluster nodes are called by their address; the id prefix tells them apart instead
      node.name === node.address ? node.id.slice(0, 8) : node.name,
      node.address,
      formatCount(node.keys),
      formatPercent(node.share),
      formatPercent(node.predictedShare),
      ...(memory ? [formatBytes(node.memoryBytes ?? 0), formatPercent(report.totalMemoryBytes ? (node.memoryBytes ?? 0) / report.totalMemoryBytes : 0)] : []),
    ])
    this.log(report.target)
    this.log(renderTable(head, rows))
    this.log(renderBarChart(report.nodes.map((node) => ({
      label: node.name,
      value: node.share,
      expected: node.predictedShare,
      note: `${formatPercent(node.share)} (predicted ${formatPercent(node.predictedShare)})`,
    }))))
    const {spread} = report
    this.log(`spread: max/mean ${spread.maxOverMean.toFixed(3)}, std dev ${spread.stdDev < 100 ? spread.stdDev.toFixed(1) : formatCount(spread.stdDev)} keys (${formatPercent(spread.relativeStdDev)} of the mean)`)
    this.log(`${formatCount(report.totalKeys)} keys${memory ? `, ${formatBytes(report.totalMemoryBytes ?? 0)}` : ''} in ${report.seconds.toFixed(2)} s (${formatCount(report.keysPerSecond)} keys/s)${report.mode === 'sample' ? ', estimated from generated keys' : ''}`)
    if (report.top && report.top.length > 0) {
      this.log('largest keys:')
      this.log(renderTable(['key', 'node', 'memory'], report.top.map((entry) => [entry.key, entry.node, formatBytes(entry.bytes)])))
    }
  }
}
