// The server jobs an interrupted atomic run left behind (twlab killed, Ctrl-C twice, a node lost):
// the journal lists each job it started and how those that were watched to the end ended. The
// server keeps driving a job whether or not twlab watches, so before `--resume` plans the rest it
// waits for the jobs still running to end ("finish"), and `cluster fix` cancels them instead
// ("cancel": the slots of a cancelled job stay on the source, which the server guarantees).
// Either way each job's outcome is written to the journal, and a success marks its slots done.
import type {ClusterTarget} from '../../targets/cluster.js'
import {Journal, type JournalJob, type JournalState} from '../journal.js'
import {nativeDriver} from './method.js'
import {jobMatches, type NativeJob} from './native-migration.js'

export interface SettledJobs {
  /** jobs found still running */
  running: number
  cancelled: number
  notes: string[]
}

/** Jobs the journal started and never saw end. */
export function openJobs(journal: JournalState): JournalJob[] {
  return [...journal.jobs.values()].filter((job) => job.state === 'started')
}

/** Waits for (or cancels, then waits for) the journal's jobs that are still running; bounded by `timeoutMs`. */
export async function settleJournalJobs(target: ClusterTarget, journal: JournalState, how: 'finish' | 'cancel', timeoutMs = 120_000): Promise<SettledJobs> {
  const settled: SettledJobs = {running: 0, cancelled: 0, notes: []}
  const jobs = openJobs(journal)
  const native = nativeDriver(journal.plan.native)
  if (jobs.length === 0 || !native) return settled
  const writer = Journal.reopen(journal.path)
  await Promise.all(jobs.map(async (job) => {
    const reporter = native.reporter(target, job)
    const name = target.byId(job.from)?.address ?? journal.plan.nodes[job.from] ?? job.from.slice(0, 8)
    if (!reporter || reporter.failing) {
      settled.notes.push(`The job moving slots from ${name} ended with that node (it is gone); the server rolls such a job back.`)
      writer.job({...job, state: 'failed', message: 'source gone'})
      return
    }
    const find = async () => (await native.jobs(target, reporter).catch(() => [] as NativeJob[])).find((candidate) => jobMatches(candidate, job, job.startedAt))
    let found = await find()
    if (found && !found.finished) {
      settled.running++
      if (how === 'cancel' && (await native.cancelAll(target, reporter).catch(() => false))) settled.cancelled++
    }
    const deadline = Date.now() + timeoutMs
    for (let look = 0; found && !found.finished && look < 100_000 && Date.now() < deadline; look++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      found = await find()
    }
    if (!found) {
      settled.notes.push(`${name} no longer lists the job it ran for slots ${describe(job)}; the slot map says what moved.`)
      return
    }
    if (!found.finished) {
      settled.notes.push(`The job moving slots ${describe(job)} from ${name} was still "${found.state}" after ${Math.round(timeoutMs / 1000)} s.`)
      return
    }
    writer.job({...job, state: found.succeeded ? 'success' : found.state === 'cancelled' ? 'cancelled' : 'failed', message: found.message})
    if (found.succeeded) writer.slots(job.ranges.flatMap(([start, end]) => Array.from({length: end - start + 1}, (_, i) => start + i)), 'done')
    settled.notes.push(`The job moving slots ${describe(job)} from ${name} ended: ${found.state}${found.message ? ` (${found.message})` : ''}.`)
  }))
  return settled
}

function describe(job: JournalJob): string {
  const text = job.ranges.map(([start, end]) => (start === end ? `${start}` : `${start}-${end}`)).join(',')
  return text.length <= 40 ? text : `${text.slice(0, 37)}...`
}
