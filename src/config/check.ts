// Whole-file checks: read the file, parse it, resolve listen hosts. This is what
// `twlab conf test` and the proxy's `-t` flag run, so both give the same reasons.
import {readFile} from 'node:fs/promises'
import {analyzeConfig, type ConfigAnalysis, type ParseOptions} from './parse.js'
import {ConfigError, sortProblems} from './problems.js'
import {resolveListenHosts} from './resolve.js'

export interface CheckOptions extends ParseOptions {
  /** resolve listen host names as nutcracker does (default true) */
  resolve?: boolean
}

export type ConfigCheck = ConfigAnalysis & {
  ok: boolean
  /** set when the file could not be opened or decoded (nutcracker then prints its verdict once) */
  unreadable?: boolean
}

/** Checks nutcracker.yml text: everything nutcracker checks, including listen host resolution. */
export async function checkConfigText(text: string, file = '<string>', options: CheckOptions = {}): Promise<ConfigCheck> {
  const analysis = analyzeConfig(text, file, options)
  if (analysis.problems.length === 0 && options.resolve !== false) {
    const unresolved = await resolveListenHosts(file, analysis.listenHosts)
    if (unresolved.length > 0) {
      analysis.problems = sortProblems(unresolved)
      analysis.config = undefined
    }
  }
  return {...analysis, ok: analysis.problems.length === 0}
}

/** Checks a nutcracker.yml file; a file that cannot be read is one problem, not an exception. */
export async function checkConfigFile(file: string, options: CheckOptions = {}): Promise<ConfigCheck> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(error)})`
    return {
      file, ok: false, unreadable: true, warnings: [], extensionsUsed: [], listenHosts: [],
      problems: [{
        file,
        problem: `the configuration file ${reason}`,
        fix: 'Pass the right path with -c FILE (the default is conf/nutcracker.yml, relative to the current directory).',
        nutcracker: `conf: failed to open configuration '${file}': ${code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : code === 'EISDIR' ? 'Is a directory' : String(code)}`,
      }],
    }
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    const line = invalidUtf8Line(bytes)
    return {
      file, ok: false, warnings: [], extensionsUsed: [], listenHosts: [],
      problems: [{file, line, problem: 'the file is not valid UTF-8 text', fix: 'Save it as UTF-8 (or plain ASCII).', nutcracker: 'conf: failed (err 2) to get the next yaml document'}],
    }
  }
  return checkConfigText(text, file, options)
}

/** The line of the first byte sequence that is not UTF-8. */
function invalidUtf8Line(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', {fatal: true})
  let line = 1
  for (let start = 0, i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i))
      } catch {
        return line
      }
      line++
      start = i + 1
    }
  }
  return line
}

/** Reads, parses and validates a file exactly as nutcracker would; throws ConfigError if it would refuse it. */
export async function loadConfig(file: string, options: CheckOptions = {}) {
  const check = await checkConfigFile(file, options)
  if (!check.ok) throw new ConfigError(check.problems)
  return check.config!
}

/** nutcracker -t's own verdict line. */
export function syntaxLine(file: string, ok: boolean): string {
  return `nutcracker: configuration file '${file}' syntax is ${ok ? 'ok' : 'invalid'}`
}

/**
 * Exactly what `nutcracker -t -c FILE` writes to stderr, and its exit code, for a check: the
 * verdict line once when valid or unopenable, twice when the file was read and refused (once
 * from the config loader, once from the -t handler). For a drop-in `-t`.
 */
export function nutcrackerTestOutput(check: ConfigCheck): {stderr: string; exitCode: number} {
  const line = `${syntaxLine(check.file, check.ok)}\n`
  if (check.ok) return {stderr: line, exitCode: 0}
  return {stderr: check.unreadable ? line : line + line, exitCode: 1}
}
