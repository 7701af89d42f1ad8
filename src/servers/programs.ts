// Finding programs on this machine (PATH, plus the sbin folders users' PATH often lacks) and
// running the system's redis-server, the default server of every lab.
import {statSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {execa} from 'execa'

/** sbin directories are often missing from a user's PATH, yet Debian puts nutcracker there. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The full path of `name` in `dirs` (first hit; default PATH and the sbin folders), or undefined. */
export function findExecutable(name: string, dirs?: string[]): string | undefined {
  const search = dirs ?? [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS]
  for (const dir of search) {
    const path = join(dir, name)
    if (isFile(path)) return path
  }
  return undefined
}

/** How to run a program: `bin ...prefixArgs ...its own args` (a loader needs a prefix). */
export interface ProgramCommand {
  bin: string
  prefixArgs: string[]
}

/** The first non-empty line `PROGRAM --version` prints (stdout or stderr), or undefined. */
export async function programVersion(command: ProgramCommand, timeoutMs = 5000): Promise<string | undefined> {
  try {
    const result = await execa(command.bin, [...command.prefixArgs, '--version'], {reject: false, timeout: timeoutMs, all: true})
    return (result.all ?? '').split('\n').find((text) => text.trim().length > 0)?.trim()
  } catch {
    return undefined
  }
}

/** The program a command line runs, also when it runs through a loader (`ld.so --library-path L PROGRAM`). */
export function launchedProgram(bin: string, args: string[]): string {
  const viaLoader = args[0] === '--library-path' && args.length > 2
  return (viaLoader ? args[2] : bin).split('/').pop() ?? bin
}
