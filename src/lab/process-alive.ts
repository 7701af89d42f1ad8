// Is a pid a live process? Signal 0 says whether it exists; on Linux /proc tells zombies apart,
// which matters in containers where nobody reaps our detached children.
import {readFileSync} from 'node:fs'

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is not one of ours any more.
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

/** The command line of a pid (arguments joined by spaces), or undefined where /proc is absent. */
export function processCommandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return undefined
  }
}

/**
 * Whether `pid` is still the process started for a node listening on `port` with `configFile`:
 * pids get reused, and we must never signal a stranger. redis rewrites its title to
 * "redis-server host:port"; nutcracker and twproxy keep their arguments, which name the config.
 */
export function isPidOfNode(pid: number, port: number, configFile: string): boolean {
  if (!isProcessAlive(pid)) return false
  const commandLine = processCommandLine(pid)
  if (commandLine === undefined) return true
  return commandLine.includes(`:${port}`) || (configFile.length > 0 && commandLine.includes(configFile))
}
