// Runs the built CLIs the way a user does (a child process), so tests see real stdout, stderr and exit codes.
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const TWLAB = `${ROOT}bin/run.js`
export const TWPROXY = `${ROOT}bin/twproxy.js`

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export function runCli(bin: string, args: string[], options: {input?: string | Uint8Array; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {env: {...process.env, ...options.env}, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
    child.stdin.end(options.input ?? '')
  })
}

export const twlab = (args: string[], options?: Parameters<typeof runCli>[2]) => runCli(TWLAB, args, options)
export const twproxy = (args: string[], options?: Parameters<typeof runCli>[2]) => runCli(TWPROXY, args, options)
