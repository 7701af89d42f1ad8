// Whether a lab's recorded pid is still the node it started: pids get reused, and a lab must never
// signal a stranger. The process facts themselves come from targets/process.ts.
import {isProcessAlive, processArgv} from '../targets/process.js'

/**
 * Whether `pid` is still the process started for a node listening on `port` with `configFile`:
 * pids get reused, and we must never signal a stranger. redis rewrites its title to
 * "redis-server host:port"; nutcracker and twproxy keep their arguments, which name the config.
 */
export function isPidOfNode(pid: number, port: number, configFile: string): boolean {
  if (!isProcessAlive(pid)) return false
  const argv = processArgv(pid)
  if (argv === undefined) return true
  const commandLine = argv.join(' ')
  return commandLine.includes(`:${port}`) || (configFile.length > 0 && commandLine.includes(configFile))
}
