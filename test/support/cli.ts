// Runs the built CLIs the way a user does (a child process), so tests see real stdout, stderr and exit codes.
import {spawn, type ChildProcess} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const TWLAB = `${ROOT}bin/run.js`
export const TWPROXY = `${ROOT}bin/twproxy.js`

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  input?: string | Uint8Array
  env?: NodeJS.ProcessEnv
  /** SIGKILL after this long (default 60 s) */
  timeoutMs?: number
}

export interface StartedCli {
  child: ChildProcess
  /** how it ended and everything it printed */
  done: Promise<CliResult>
}

/** Starts a CLI in the background, for tests that act while it runs (signals, load, a killed node). */
export function startCli(bin: string, args: string[], options: CliOptions = {}): StartedCli {
  const child = spawn(process.execPath, [bin, ...args], {env: {...process.env, ...options.env}, stdio: ['pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
  child.stdin.end(options.input ?? '')
  return {child, done}
}

export function runCli(bin: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(bin, args, options).done
}

export const twlab = (args: string[], options?: Parameters<typeof runCli>[2]) => runCli(TWLAB, args, options)
export const twproxy = (args: string[], options?: Parameters<typeof runCli>[2]) => runCli(TWPROXY, args, options)
