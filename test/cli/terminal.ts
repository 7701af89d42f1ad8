// Runs a command under a pseudo-terminal (util-linux `script`), so prompts, bars and colour
// behave as for a person at a terminal. Keystrokes are sent when the output shows a pattern.
import {spawn} from 'node:child_process'

export interface Keystroke {
  /** sent once the output so far matches this */
  when: RegExp
  send: string
}

export interface TerminalResult {
  code: number | null
  /** everything the terminal showed (stdout and stderr together), escape codes included */
  screen: string
}

const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`

export function runInTerminal(argv: string[], options: {keys?: Keystroke[]; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<TerminalResult> {
  const child = spawn('script', ['-qfec', argv.map(quote).join(' '), '/dev/null'], {
    env: {...process.env, CI: '', TERM: 'xterm-256color', COLUMNS: '120', ...options.env},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const pending = [...(options.keys ?? [])]
  let screen = ''
  const onOutput = (chunk: string) => {
    screen += chunk
    while (pending.length > 0 && pending[0]!.when.test(screen)) child.stdin.write(pending.shift()!.send)
  }
  child.stdout.setEncoding('utf8').on('data', onOutput)
  child.stderr.setEncoding('utf8').on('data', onOutput)
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      child.stdin.destroy()
      resolve({code, screen})
    })
  })
}

/** The screen without colour and cursor codes, lines as shown. */
export function plain(screen: string): string {
  return screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r\n/g, '\n')
}
