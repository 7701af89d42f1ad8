import {Flags} from '@oclif/core'
import {exitWhenDone} from '../../src/cli/exit-when-done.js'
import {BaseCommand} from '../../src/cli/base-command.js'
import {migrateSourceFlags, sourceOptionsOf, withBareToCluster} from '../../src/cli/migrate-flags.js'
import {renderMismatchCounts, renderMismatches} from '../../src/cli/migrate-report.js'
import {verifyAny} from '../../src/migrate/verify/verify-any.js'
import {describeMismatch} from '../../src/migrate/verify/verify.js'

export default class MigrateVerify extends BaseCommand {
  static override summary = 'Compare every key of the sources (servers, a pool, a cluster, a Sentinel group, RDB files) with the target, both ways; exit 1 on any mismatch.'

  static override description = 'Source to target: each key missing on the target, of another type, with another value (DUMP payloads, then a type-aware digest when the encodings differ), or with an expiry further off than --ttl-tolerance. Target to sources: each key that no source holds (extra). Keys that differ are checked again after a short pause, so a write in flight is not reported as a loss.'

  static override examples = [
    '<%= config.bin %> migrate verify --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000',
    '<%= config.bin %> migrate verify --lab default --to-cluster',
    '<%= config.bin %> migrate verify --from-cluster 127.0.0.1:7000 --to-cluster 127.0.0.1:8000',
    '<%= config.bin %> migrate verify --from-sentinel 127.0.0.1:26379 --master mymaster --to-cluster 127.0.0.1:7000',
    '<%= config.bin %> migrate verify --from-rdb dump.rdb --to-cluster 127.0.0.1:7000',
    '<%= config.bin %> migrate verify --from-cluster 127.0.0.1:7000 --to-pool -c nutcracker.yml',
  ]

  static override flags = {
    ...migrateSourceFlags,
    'to-cluster': Flags.string({description: 'a node of the target Redis Cluster, HOST:PORT; with a lab source and no value, the lab cluster `twlab migrate --to-cluster` made for it', exclusive: ['to-pool']}),
    'to-pool': Flags.boolean({description: 'the target is the pool of -c or --lab (the way back from --from-cluster)', default: false}),
    'ttl-tolerance': Flags.integer({description: 'expiries this many ms apart still match', default: 1000, min: 0}),
    'scan-count': Flags.integer({description: 'SCAN COUNT (keys per page)', default: 1000, min: 1}),
    limit: Flags.integer({description: 'mismatches listed in the human output', default: 50, min: 1}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(MigrateVerify, withBareToCluster(this.argv))
    const report = await verifyAny({
      source: sourceOptionsOf(flags), toCluster: flags['to-cluster'], toPool: flags['to-pool'],
      ttlToleranceMs: flags['ttl-tolerance'], scanCount: flags['scan-count'],
    }, (message) => this.note(message)).finally(exitWhenDone)
    const mismatches = report.mismatches.map(describeMismatch)
    const differing = Object.values(report.counts).reduce((a, b) => a + b, 0)
    if (!this.jsonEnabled()) {
      if (differing === 0) {
        this.log(`No mismatches: ${report.checked} source keys and ${report.targetKeys} target keys match.`)
      } else {
        this.log(`${differing} mismatch(es): ${renderMismatchCounts(report.counts)} (${report.checked} source keys, ${report.targetKeys} target keys).`)
        this.log(renderMismatches(mismatches, flags.limit))
      }
    }
    if (differing > 0) process.exitCode = 1
    return {ok: differing === 0, checked: report.checked, targetKeys: report.targetKeys, counts: report.counts, mismatches}
  }
}
