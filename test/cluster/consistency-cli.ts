// `twlab check consistency` run as users run it, the built CLI in the background against a
// cluster while slots move, stopped with Ctrl-C (SIGINT) and read back from its --json report.
import {TWLAB, startCli} from '../support/cli.js'
import {sleep} from '../support/servers.js'

export interface ConsistencyCliReport {
  writes: number
  reads: number
  lostWrites: number
  lostKeys: string[]
  failedWrites: number
}

export interface RunningConsistencyCli {
  stop(): Promise<ConsistencyCliReport>
}

/** Starts the checker on `seed` (a cluster node) and gives it a moment to connect and write. */
export async function startConsistencyCli(seed: string, env: NodeJS.ProcessEnv = {}): Promise<RunningConsistencyCli> {
  const run = startCli(TWLAB, ['check', 'consistency', '--target', seed, '--cluster', '--duration', '300s', '--keys', '200',
    '--concurrency', '8', '--timeout', '5s', '--json'], {env, timeoutMs: 360_000})
  await sleep(1500)
  if (run.child.exitCode !== null) throw new Error(`check consistency ended at once: ${(await run.done).stderr.slice(-400)}`)
  return {
    async stop() {
      run.child.kill('SIGINT')
      const result = await run.done
      if (!result.stdout.trim()) throw new Error(`check consistency printed no report (exit ${result.code}): ${result.stderr.slice(-400)}`)
      return JSON.parse(result.stdout) as ConsistencyCliReport
    },
  }
}
