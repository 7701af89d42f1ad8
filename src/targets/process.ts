// What Linux says about a pid: whether it is a live process of ours, its state, its command line.
// Labs (their node processes) and the tools that change a running proxy both ask; the answers
// come from here. Signal 0 says whether a pid exists; /proc tells zombies apart, which matters in
// containers where nobody reaps detached children.
import {readFileSync} from 'node:fs'

/**
 * Whether `pid` is a live process we may signal: it exists, is not a zombie, and is not someone
 * else's (EPERM: a pid reused by another user's process is not one of ours any more).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  return processState(pid) !== 'Z'
}

/** The one-letter state from /proc/PID/stat (R, S, T, Z...), or undefined where /proc is absent. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name is in parentheses and may contain spaces: the state follows the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return undefined
  }
}

/** The arguments a pid was started with (argv[0] is the program), or undefined where /proc is absent. */
export function processArgv(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return undefined
  }
}
