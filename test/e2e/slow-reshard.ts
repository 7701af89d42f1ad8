// What the interrupted-reshard tests share: a reshard slow enough to interrupt (one key per
// MIGRATE, 8 slots in flight), started in the background, and a look at its journal.
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {TWLAB, startCli, type StartedCli} from '../support/cli.js'
import {waitUntil} from '../support/servers.js'

/** The journal of the one reshard run with TWLAB_HOME=`home`, once it exists. */
export function journalFile(home: string): string | undefined {
  const dir = join(home, 'reshard')
  if (!existsSync(dir)) return undefined
  const name = readdirSync(dir).find((file) => file.endsWith('.jsonl'))
  return name ? join(dir, name) : undefined
}

/** How many slots the journal records as done. */
export function doneSlots(journal: string): number {
  return readFileSync(journal, 'utf8').split('\n').filter((line) => line.includes('"state":"done"')).length
}

/**
 * Starts `twlab reshard --cluster seed` of 1500 slots from `from` to `to` and resolves once its
 * journal shows 30 slots done (within 60 s; otherwise the run is killed and this rejects). The run
 * is SIGKILLed after `timeoutMs` at the latest.
 */
export async function startSlowReshard(home: string, seed: string, from: string, to: string, timeoutMs: number): Promise<{run: StartedCli; journal: string}> {
  const run = startCli(TWLAB, ['reshard', '--cluster', seed, '--from', from, '--to', to, '--slots', '1500',
    '--batch', '1', '--parallel', '8', '--big-key-limit', '0', '--yes', '--json'], {env: {TWLAB_HOME: home}, timeoutMs})
  try {
    await waitUntil(() => {
      const journal = journalFile(home)
      return journal !== undefined && doneSlots(journal) >= 30
    }, 'the reshard to move 30 slots', 60_000)
  } catch (error) {
    run.child.kill('SIGKILL')
    throw error
  }
  return {run, journal: journalFile(home)!}
}
