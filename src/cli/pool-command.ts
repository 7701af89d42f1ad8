// What `twlab pool add-server` and `twlab pool remove-server` share: target flags, the plan table,
// confirmation (TTY or --yes), the run, and the human summary. The commands only say which change.
import {Flags} from '@oclif/core'
import type {PoolConfig} from '../config/index.js'
import {BaseCommand} from './base-command.js'
import {poolProgress} from './terminal/pool-progress.js'
import {renderTable} from './table.js'
import {connectionFlags, targetFlags} from './target-flags.js'
import {runPoolChange, type PoolChangePlan, type PoolChangeSummary} from '../pool/change.js'
import type {PoolChange} from '../pool/plan.js'
import {resolvePoolChangeTarget} from '../pool/target.js'

const TARGET_GROUP = 'TARGET'

// --lab, -c, --pool and --password are the shared target flags (a pool change has no --cluster);
// the proxy flags say which proxy runs -c
const poolChangeFlags = {
  lab: targetFlags.lab,
  config: targetFlags.config,
  pool: targetFlags.pool,
  'proxy-pid': Flags.integer({description: 'pid of the twproxy (reloaded with SIGUSR1) or nutcracker (restart step printed) running --config', exclusive: ['pid-file', 'no-proxy'], helpGroup: TARGET_GROUP}),
  'pid-file': Flags.string({description: 'the proxy\'s -p pid file, instead of --proxy-pid', exclusive: ['proxy-pid', 'no-proxy'], helpGroup: TARGET_GROUP}),
  'no-proxy': Flags.boolean({description: 'no proxy runs --config: clients use the servers directly', exclusive: ['proxy-pid', 'pid-file'], default: false, helpGroup: TARGET_GROUP}),
  password: targetFlags.password,
  ...connectionFlags,
}

interface PoolChangeFlags {
  lab?: string
  config?: string
  pool?: string
  'proxy-pid'?: number
  'pid-file'?: string
  'no-proxy'?: boolean
  password?: string
}

export const poolCommandFlags = {
  ...poolChangeFlags,
  'dry-run': Flags.boolean({description: 'show the plan (keys moving per server pair) and change nothing', default: false}),
  batch: Flags.integer({description: 'keys per MIGRATE', default: 500, min: 1, max: 10_000}),
  ...BaseCommand.yesFlag,
}

export type PoolCommandFlags = PoolChangeFlags & {'dry-run': boolean; batch: number; yes: boolean}

export abstract class PoolChangeCommand extends BaseCommand {
  protected async change(flags: PoolCommandFlags, plan: (pool: PoolConfig) => PoolChange): Promise<PoolChangeSummary> {
    const target = resolvePoolChangeTarget({
      lab: flags.lab, configFile: flags.config, pool: flags.pool,
      proxyPid: flags['proxy-pid'], pidFile: flags['pid-file'], noProxy: flags['no-proxy'], password: flags.password,
    })
    const progress = poolProgress(!this.jsonEnabled())
    const summary = await runPoolChange({
      ...target,
      plan,
      dryRun: flags['dry-run'],
      noQuestions: flags.yes,
      batch: flags.batch,
      note: (message) => this.note(message),
      progress: (totals) => progress.update(totals),
      confirm: async (p) => {
        progress.expect(p.countedFirst ? p.scanned : 0)
        this.showPlan(p)
        const moving = p.pairs.reduce((sum, pair) => sum + pair.keys, 0)
        return this.confirmOrRefuse(`${p.action === 'add' ? 'Add' : 'Remove'} ${p.server.address} (${p.server.name}) and move ${moving} key(s)?`, flags.yes)
      },
    }).finally(() => progress.stop())
    // a dry run's plan is its result: stdout, where `> plan.txt` and pipes find it
    if (summary.status === 'dry-run') this.showPlan(summary, 'stdout')
    if (!this.jsonEnabled()) this.report(summary)
    if (summary.status === 'restart-needed') process.exitCode = 2
    return summary
  }

  /** The plan before a change goes to stderr (the question follows it); a dry run's to stdout. */
  private showPlan(plan: PoolChangePlan, to: 'stdout' | 'stderr' = 'stderr'): void {
    if (this.jsonEnabled()) return
    const lines = [
      `${plan.action === 'add' ? 'Adding' : 'Removing'} ${plan.server.address} (name ${plan.server.name}, weight ${plan.server.weight}) ${plan.action === 'add' ? 'to' : 'from'} pool ${plan.pool}.`,
      `servers before: ${plan.before.join(', ')}`,
      `servers after:  ${plan.after.join(', ')}`,
    ]
    if (plan.resuming) lines.push(`Resuming: ${plan.resuming}.`)
    else if (!plan.countedFirst) lines.push('Keys that change owner are counted as they move (--yes: nothing to confirm).')
    else {
      const moving = plan.pairs.reduce((sum, pair) => sum + pair.keys, 0)
      lines.push(`${moving} of ${plan.scanned} key(s) change owner:`)
      lines.push(renderTable(['from', 'to', 'keys'], plan.pairs.map((pair) => [pair.from, pair.to, String(pair.keys)])))
    }
    if (to === 'stdout') this.log(lines.join('\n'))
    else process.stderr.write(`${lines.join('\n')}\n`)
  }

  private report(summary: PoolChangeSummary): void {
    switch (summary.status) {
      case 'dry-run':
        this.log('Dry run: nothing was changed.')
        return
      case 'cancelled':
        this.log('Cancelled: nothing was changed.')
        return
      case 'restart-needed':
        this.log(`${summary.configFile} now lists the new servers, but ${summary.proxy.kind} (pid ${summary.proxy.pid}) cannot reload it.`)
        this.log(`Restart it:\n  ${summary.restartStep}`)
        this.log('then run this command again to move the keys to their new owners.')
        return
      case 'done':
        this.log(this.paint.ok(`Pool ${summary.pool} now has ${summary.after.length} server(s). Moved ${summary.moved ?? 0} key(s)${summary.kept ? `, kept ${summary.kept} newer value(s) already on the new owner` : ''}; deleted ${summary.straysDeleted ?? 0} stale cop${summary.straysDeleted === 1 ? 'y' : 'ies'}.`))
        if (summary.action === 'remove') this.log(`${summary.server.address} holds none of the pool's keys now and can be stopped.`)
    }
  }
}
