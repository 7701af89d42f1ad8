// Helpers for lab tests: a private TWLAB_HOME, a base port block that is free, and a last-resort
// cleanup that stops every pid any lab state file recorded (by pid, never by name).
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {claimPort, freePort, tempDir} from '../support/servers.js'
import {twlab, type CliResult} from '../support/cli.js'
import {isProcessAlive} from '../../src/targets/process.js'
import {stopProcess} from '../../src/lab/processes.js'
import type {LabState} from '../../src/lab/state.js'

export interface LabHome {
  home: string
  env: NodeJS.ProcessEnv
  run(args: string[], timeoutMs?: number): Promise<CliResult>
  /** `twlab up ...args --base-port B`, retrying with another block if a port turned out busy */
  up(args: string[], timeoutMs?: number): Promise<{result: CliResult; basePort: number}>
  state(name: string): LabState
  /** the last lines of every log under the lab's folder, for a failure message */
  logTails(name: string, lines?: number): string
  /** every pid any state file in this home recorded */
  recordedPids(): number[]
  cleanup(): Promise<void>
}

/**
 * A base port in 12000-19900 derived from a kernel-picked free port, so parallel runs spread out.
 * Every port of a lab there, cluster bus ports (port + 10000) included, stays below the kernel's
 * ephemeral range (32768 by default), where `twlab up` refuses them, and apart from the single
 * ports tests take (10000-11999, bus ports 20000-21999). The block is claimed for the run.
 */
export async function pickBasePort(): Promise<number> {
  const port = await freePort()
  for (let step = 0; step < LAB_BLOCKS; step++) {
    const base = 12_000 + ((port + step) % LAB_BLOCKS) * 100
    if (claimBlock(base)) return base
  }
  throw new Error('every lab port block of this test run is taken')
}

const LAB_BLOCKS = 80

/** Ports a lab may use from its base (proxy, stats, sentinels, then redis from base + 10). */
const LAB_SPAN = 40

/** Claims a lab's ports and their bus ports for the run (servers.ts claimPort); false when one is taken. */
function claimBlock(base: number): boolean {
  for (let port = base; port < base + LAB_SPAN; port++) {
    if (!claimPort(port) || !claimPort(port + 10_000)) return false
  }
  return true
}

export function makeLabHome(): LabHome {
  const home = tempDir('twlab-lab-')
  const env = {TWLAB_HOME: home, CI: '1'}
  const pids = new Set<number>()
  const statePath = (name: string) => join(home, 'labs', name, 'state.json')
  const lab: LabHome = {
    home,
    env,
    run: (args, timeoutMs = 60_000) => twlab(args, {env, timeoutMs}),
    async up(args, timeoutMs) {
      let last: CliResult | undefined
      for (let attempt = 0; attempt < 5; attempt++) {
        const basePort = await pickBasePort()
        const result = await lab.run(['up', ...args, '--base-port', String(basePort)], timeoutMs)
        last = result
        if (result.code === 0 || !/in use|already given/.test(result.stderr + result.stdout)) {
          lab.recordedPids()
          return {result, basePort}
        }
      }
      throw new Error(`no free port block for a lab: ${last?.stderr}`)
    },
    state(name) {
      const state = JSON.parse(readFileSync(statePath(name), 'utf8')) as LabState
      for (const node of state.nodes) if (node.pid > 0) pids.add(node.pid)
      return state
    },
    logTails(name, lines = 12) {
      const logs: string[] = []
      const walk = (dir: string) => {
        if (!existsSync(dir)) return
        for (const entry of readdirSync(dir, {withFileTypes: true})) {
          const path = join(dir, entry.name)
          if (entry.isDirectory()) walk(path)
          else if (entry.name.endsWith('.log')) logs.push(`--- ${entry.name}\n${readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`)
        }
      }
      walk(join(home, 'labs', name))
      return logs.join('\n')
    },
    recordedPids() {
      const labs = join(home, 'labs')
      if (existsSync(labs)) for (const name of readdirSync(labs)) if (existsSync(statePath(name))) lab.state(name)
      return [...pids]
    },
    async cleanup() {
      lab.recordedPids()
      await Promise.all([...pids].filter(isProcessAlive).map((pid) => stopProcess(pid, 1000)))
      rmSync(home, {recursive: true, force: true})
    },
  }
  return lab
}

export function alivePids(pids: number[]): number[] {
  return pids.filter(isProcessAlive)
}

/** Polls `check` every 200 ms until it returns a value, at most `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 1000; attempt++) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}
