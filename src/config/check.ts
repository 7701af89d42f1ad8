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

export type ConfigCheck = ConfigAnalysis & {ok: boolean}

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
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(error)})`
    return {
      file, ok: false, warnings: [], extensionsUsed: [], listenHosts: [],
      problems: [{
        file,
        problem: `the configuration file ${reason}`,
        fix: 'Pass the right path with -c FILE (the default is conf/nutcracker.yml, relative to the current directory).',
        nutcracker: `conf: failed to open configuration '${file}': ${code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : code === 'EISDIR' ? 'Is a directory' : String(code)}`,
      }],
    }
  }
  return checkConfigText(text, file, options)
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
