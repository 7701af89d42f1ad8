import {Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'
import {UserError} from '../src/errors.js'
import {CLUSTER_SLOTS} from '../src/hashing/index.js'
import {SlotMoveCommand, clusterFlags, moveFlags, type MoveSummary} from '../src/cli/slot-move-command.js'
import {parseSlotRange} from '../src/cluster/plan.js'
import {assertReady, planReshard, planResume} from '../src/cluster/requests.js'
import {openJobs, settleJournalJobs} from '../src/cluster/atomic/interrupted-jobs.js'
import {Journal} from '../src/cluster/journal.js'

export default class Reshard extends SlotMoveCommand {
  static override summary = 'Move Redis Cluster slots (and their keys) from some masters to another, online.'
  static override description = `Where every node involved runs a server with atomic slot migration (Valkey 9.0 or later), the server
moves the slots itself (CLUSTER MIGRATESLOTS: one call per source, every target of that source at once,
sources in parallel); --method migrate forces the protocol below, --method atomic refuses without it.
Otherwise slots move with the safe protocol (IMPORTING, MIGRATING, MIGRATE in batches, SETSLOT NODE on the
target, the source, then every master), several at a time. The plan is shown first; a journal records
each slot so an interrupted run is finished with --resume (or closed by \`twlab cluster fix\`).
A node that dies during the run stops it (exit 1) on the slot it was moving, naming the node; the run
does not wait for a failover. Once a replica has taken over (or the node is back with its data),
--resume moves the rest from whoever owns each slot now.`

  static override examples = [
    '<%= config.bin %> reshard --lab c --from m1 --to m2 --slots 1000',
    '<%= config.bin %> reshard --cluster 127.0.0.1:7000 --from 127.0.0.1:7001 --to 127.0.0.1:7003 --slots 1000',
    '<%= config.bin %> reshard --cluster 127.0.0.1:7000 --from all --to 3f2a --slots 4096 --yes',
    '<%= config.bin %> reshard --cluster 127.0.0.1:7000 --to 127.0.0.1:7002 --range 0-99',
    '<%= config.bin %> reshard --cluster 127.0.0.1:7000 --resume',
  ]

  static override flags = {
    ...clusterFlags,
    from: Flags.string({description: 'source masters: lab node names (m1), ids, id prefixes or HOST:PORT, comma separated, or "all"', helpValue: 'NODE[,NODE]'}),
    to: Flags.string({description: 'the master that receives the slots (a lab node name, id, id prefix or HOST:PORT)', helpValue: 'NODE'}),
    slots: Flags.integer({description: 'how many slots to move (taken from the sources in proportion to what they own)', min: 1, max: CLUSTER_SLOTS, exclusive: ['range']}),
    range: Flags.string({description: 'move exactly these slots (those owned by --from, or by anyone but --to)', helpValue: 'A-B', exclusive: ['slots']}),
    resume: Flags.boolean({description: 'finish an interrupted reshard from its journal (--journal, or the newest unfinished one for this cluster)', default: false}),
    ...moveFlags,
    ...BaseCommand.yesFlag,
  }

  async run(): Promise<MoveSummary> {
    const {flags} = await this.parse(Reshard)
    const target = await this.connect(flags)
    try {
      if (flags.resume) {
        let {journal, moves} = planResume(target, flags.journal)
        if (openJobs(journal).length > 0) {
          // an atomic run stopped while the server still ran its jobs: let them end first
          this.note(`Waiting for the ${openJobs(journal).length} server migration job(s) the interrupted run started...`)
          const settled = await settleJournalJobs(target, journal, 'finish')
          for (const line of settled.notes) this.note(line)
          await target.refresh()
          ;({journal, moves} = planResume(target, journal.path))
          if (moves.length === 0) Journal.reopen(journal.path).end('complete', {closedBy: 'resume'})
        }
        this.note(`Resuming ${journal.plan.operation} from ${journal.path}: ${moves.length} of ${journal.plan.moves.length} slot(s) left.`)
        return await this.executeMoves(target, journal.plan.operation, moves, flags, {resume: journal})
      }
      if (!flags.to) throw new UserError('Say which master receives the slots with --to NODE.')
      if (flags.slots === undefined && flags.range === undefined) throw new UserError('Say how many slots to move with --slots N, or which with --range A-B.')
      const range = flags.range === undefined ? undefined : parseSlotRange(flags.range)
      if (flags.range !== undefined && !range) throw new UserError(`--range "${flags.range}" is not a slot range: write it as A-B with 0 <= A <= B <= ${CLUSTER_SLOTS - 1}.`)
      assertReady(target)
      const from = flags.from?.split(',').map((spec) => spec.trim()).filter(Boolean).map((spec) => spec === 'all' ? spec : this.nodeSpec(spec))
      const moves = planReshard(target, {from, to: this.nodeSpec(flags.to), slots: flags.slots, range})
      return await this.executeMoves(target, 'reshard', moves, flags)
    } finally {
      await target.close()
    }
  }
}
