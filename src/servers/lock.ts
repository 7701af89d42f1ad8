// One fetch at a time per servers folder: two `twlab up --server` runs (or two test files) that
// both need a server must not run apt-get on the same lists at once. The lock is a folder
// holding the owner's pid; a lock whose owner died is taken over.
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {UserError} from '../errors.js'

function ownerAlive(lockDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'))
    if (!Number.isInteger(pid) || pid <= 0) return false
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function tryTake(lockDir: string): boolean {
  try {
    mkdirSync(lockDir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return false
  }
  writeFileSync(join(lockDir, 'pid'), String(process.pid))
  return true
}

/** Runs `work` holding the lock; waits (bounded) while another live process holds it. */
export async function withFetchLock<T>(root: string, timeoutMs: number, progress: (line: string) => void, work: () => Promise<T>): Promise<T> {
  mkdirSync(root, {recursive: true})
  const lockDir = join(root, '.lock')
  const deadline = Date.now() + timeoutMs
  let told = false
  for (let attempt = 0; !tryTake(lockDir); attempt++) {
    // A pid file not written yet (owner between mkdir and write) reads as dead: give it a moment.
    if (attempt > 5 && !ownerAlive(lockDir)) {
      rmSync(lockDir, {recursive: true, force: true})
      continue
    }
    if (Date.now() > deadline) throw new UserError(`Another twlab process has been fetching into ${root} for over ${Math.round(timeoutMs / 1000)} s: wait for it, or remove ${lockDir} if no twlab is running.`)
    if (!told) progress('Waiting for another twlab process that is fetching a server...')
    told = true
    await sleep(200)
  }
  try {
    return await work()
  } finally {
    rmSync(lockDir, {recursive: true, force: true})
  }
}
