// Starting and stopping lab processes. They are started detached (their own process group, no
// pipes back to us) so `twlab up` can exit while the lab keeps running, and are only ever
// signalled by the pid twlab recorded, after checking that pid still is the process we started.
import {existsSync, readFileSync} from 'node:fs'
import {execa} from 'execa'
import {UserError} from '../errors.js'
import {launchedProgram} from '../servers/programs.js'
import {isListening} from './ports.js'
import {isProcessAlive, processState} from '../targets/process.js'
import {isPidOfNode} from './state.js'
import type {LabNode, LaunchCommand} from './state.js'
import {setTimeout as sleep} from 'node:timers/promises'

/** Starts `launch` detached in `cwd` and returns its pid; output goes to the node's log file. */
export function launchDetached(launch: LaunchCommand, cwd: string): number {
  const child = execa(launch.bin, launch.args, {
    cwd,
    detached: true,
    cleanup: false,
    stdio: 'ignore',
    reject: false,
  })
  // Exit codes are read from the log and from liveness checks, never from this promise.
  child.catch(() => undefined)
  child.unref()
  if (child.pid === undefined) throw new UserError(`${launch.bin} could not be started.`)
  return child.pid
}

/** The last meaningful line of a log file, to explain why a process died. */
export function lastLogLine(file: string): string | undefined {
  if (!existsSync(file)) return undefined
  const lines = readFileSync(file, 'utf8').split('\n').map((line) => line.trim()).filter(Boolean)
  const interesting = [...lines].reverse().find((line) => /error|fatal|failed|can't|cannot|bad|wrong|unknown|denied|in use/i.test(line))
  return interesting ?? lines.at(-1)
}

/**
 * Resolves once the node accepts TCP connections; throws a UserError if its process exits first
 * or the deadline passes.
 */
export async function waitForNode(node: LabNode, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 2000; attempt++) {
    if (await isListening(node.host, node.port)) return
    if (!isProcessAlive(node.pid)) {
      const why = lastLogLine(node.logFile)
      throw new UserError(`${node.name} (${launchedProgram(node.launch.bin, node.launch.args)} on port ${node.port}) exited at start${why ? `: ${why}` : '.'}`, {hint: `Its log is ${node.logFile}.`})
    }
    if (Date.now() > deadline) break
    await sleep(attempt < 40 ? 5 : 25)
  }
  throw new UserError(`${node.name} did not listen on ${node.host}:${node.port} within ${timeoutMs / 1000} s.`, {hint: `Its log is ${node.logFile}.`})
}

/** Whether the node's recorded pid (or `pid`) is still that node's process. */
export function isNodeProcess(node: LabNode, pid = node.pid): boolean {
  return isPidOfNode(pid, node.port, node.configFile)
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

/** SIGTERM (and SIGCONT, in case it is paused), then SIGKILL after `graceMs`. Resolves when gone. */
export async function stopProcess(pid: number, graceMs = 3000): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isProcessAlive(pid)) return 'gone'
  signal(pid, 'SIGTERM')
  signal(pid, 'SIGCONT')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return 'stopped'
    await sleep(20)
  }
  signal(pid, 'SIGKILL')
  for (let attempt = 0; attempt < 250 && isProcessAlive(pid); attempt++) await sleep(20)
  return 'killed'
}

/** SIGKILL and wait (bounded) until the pid is gone. */
export async function killProcess(pid: number): Promise<void> {
  signal(pid, 'SIGKILL')
  for (let attempt = 0; attempt < 250 && isProcessAlive(pid); attempt++) await sleep(20)
}

export function pauseProcess(pid: number): void {
  signal(pid, 'SIGSTOP')
}

export function resumeProcess(pid: number): void {
  signal(pid, 'SIGCONT')
}

export function isPaused(pid: number): boolean {
  return processState(pid) === 'T'
}
