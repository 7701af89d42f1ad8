// apt-get with a private configuration: our own sources list (one suite of the system's archive),
// lists and cache folders under $TWLAB_HOME/servers/.apt, never the system's. `download` fetches
// .deb files only; nothing is installed into the system.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {UserError} from '../errors.js'
import {findExecutable} from './programs.js'
import {privateSourcesList, type AptSource} from './apt-sources.js'

export interface AptConfig {
  suite: string
  /** the arguments every apt-get call of this suite takes */
  options: string[]
  sourcesFile: string
}

/** The tools a fetch needs, or one sentence saying what to install. */
export function requireAptTools(): void {
  const missing = ['apt-get', 'dpkg', 'dpkg-deb'].filter((name) => !findExecutable(name))
  if (process.platform !== 'linux' || missing.length > 0) {
    throw new UserError(`Fetching servers needs a Debian or Ubuntu system with apt-get and dpkg${missing.length > 0 && process.platform === 'linux' ? ` (missing here: ${missing.join(', ')})` : ` (this is ${process.platform})`}: install the server yourself and use it with \`twlab up --redis-bin DIR\`.`)
  }
}

export function aptConfig(aptDir: string, suite: string, archives: AptSource[]): AptConfig {
  const lists = join(aptDir, `lists-${suite}`)
  const cache = join(aptDir, `cache-${suite}`)
  mkdirSync(join(lists, 'partial'), {recursive: true})
  mkdirSync(join(cache, 'archives', 'partial'), {recursive: true})
  const sourcesFile = join(aptDir, `${suite}.list`)
  writeFileSync(sourcesFile, privateSourcesList(archives, suite))
  return {
    suite,
    sourcesFile,
    options: [
      '-q',
      '-o', `Dir::Etc::sourcelist=${sourcesFile}`,
      '-o', 'Dir::Etc::sourceparts=-',
      '-o', `Dir::State::Lists=${lists}`,
      '-o', `Dir::Cache=${cache}`,
      '-o', 'APT::Get::List-Cleanup=0',
      // the system's own pins and default release must not pick versions for us
      '-o', 'APT::Default-Release=',
    ],
  }
}

/** apt's own reason (its last "E:" line), for one-sentence errors. */
function aptReason(output: string): string {
  const errors = output.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('E:') || line.startsWith('Err:'))
  const last = errors.at(-1) ?? output.trim().split('\n').at(-1) ?? 'no output'
  return last.replace(/^E:\s*/, '').replace(/\.$/, '')
}

async function runApt(config: AptConfig, args: string[], cwd: string | undefined, signal: AbortSignal | undefined, what: string): Promise<void> {
  const result = await execa('apt-get', [...config.options, ...args], {cwd, reject: false, all: true, cancelSignal: signal, env: {LC_ALL: 'C'}})
  if (result.isCanceled) throw new FetchInterrupted()
  if (result.exitCode !== 0) throw new AptFailure(`${what} failed: ${aptReason(result.all ?? '')}.`)
  // apt-get update reports unreachable or unsigned archives as warnings and still exits 0.
  const problem = (result.all ?? '').split('\n').find((line) => /^(W|E): (Failed to fetch|The repository|GPG error|.*NO_PUBKEY)/.test(line.trim()))
  if (problem) throw new AptFailure(`${what} failed: ${problem.trim().replace(/^[WE]:\s*/, '').replace(/\.$/, '')}.`)
}

/** apt-get could not reach or read the archive, or the archive lacks a package. */
export class AptFailure extends UserError {}

export class FetchInterrupted extends Error {
  constructor() {
    super('interrupted')
    this.name = 'FetchInterrupted'
  }
}

export async function aptUpdate(config: AptConfig, signal?: AbortSignal): Promise<void> {
  await runApt(config, ['update'], undefined, signal, `Reading the ${config.suite} package lists (apt-get update with ${config.sourcesFile})`)
}

/** Downloads `packages` of the config's suite into `dir`. */
export async function aptDownload(config: AptConfig, packages: string[], dir: string, signal?: AbortSignal): Promise<void> {
  mkdirSync(dir, {recursive: true})
  await runApt(config, ['download', ...packages.map((name) => `${name}/${config.suite}`)], dir, signal, `Downloading ${packages.join(', ')} from ${config.suite}`)
}

/** A .deb's package name and version. */
export async function debIdentity(file: string): Promise<{name: string; version: string}> {
  const {stdout} = await execa('dpkg-deb', ['-f', file, 'Package', 'Version'])
  const fields = new Map(stdout.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]))
  return {name: fields.get('Package') ?? file, version: fields.get('Version') ?? '?'}
}

export async function extractDeb(file: string, into: string): Promise<void> {
  await execa('dpkg', ['-x', file, into])
}

/** dpkg's architecture name (amd64, arm64...). */
export async function dpkgArchitecture(): Promise<string> {
  const {stdout} = await execa('dpkg', ['--print-architecture'])
  return stdout.trim()
}
