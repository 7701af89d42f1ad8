// `twlab servers add NAME`: fetch a server and its suite's C library from Debian's archive into
// $TWLAB_HOME/servers/NAME. Everything happens in a staging folder that is renamed into place
// only once every program has started through the fetched loader, so an interrupted or failed
// fetch leaves no half-installed server (a staging folder left by a killed process is removed by
// the next fetch).
import {existsSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {UserError, isUserError} from '../errors.js'
import {ARCHIVE_ENV, fetchArchives} from './apt-sources.js'
import {AptFailure, aptConfig, aptDownload, aptUpdate, debIdentity, dpkgArchitecture, extractDeb, FetchInterrupted, requireAptTools} from './apt.js'
import {RUNTIME_PACKAGES, type CatalogEntry} from './catalog.js'
import {withFetchLock} from './lock.js'
import {programVersion} from './programs.js'
import {architectureLayout, findLoader, libraryPath, missingLibraries, packagesFor} from './runtime.js'
import {installedProgram, MANIFEST, readInstalled, serversRoot, type InstalledServer} from './store.js'
import {parseVersionLine, programNames} from './traits.js'

export interface FetchOptions {
  /** $TWLAB_HOME */
  home: string
  progress?: (line: string) => void
  /** aborting it stops the fetch and removes what it had fetched */
  signal?: AbortSignal
  /** where the system's apt sources are (tests give sample ones) */
  etcApt?: string
  env?: NodeJS.ProcessEnv
  /** how long to wait for another process fetching into the same home */
  lockTimeoutMs?: number
}

export interface FetchResult {
  server: InstalledServer
  /** false when it was installed already */
  fetched: boolean
}

/** How many times missing libraries are looked up and fetched before giving up. */
const LIBRARY_ROUNDS = 3

function stagingPid(name: string): number | undefined {
  const pid = Number(/^\.staging-.+-(\d+)$/.exec(name)?.[1])
  return Number.isInteger(pid) ? pid : undefined
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Staging folders whose fetching process is gone (killed mid-way): never an installed server. */
export function removeAbandonedStaging(root: string): void {
  if (!existsSync(root)) return
  for (const name of readdirSync(root)) {
    const pid = stagingPid(name)
    if (pid !== undefined && (pid === process.pid || !isAlive(pid))) rmSync(join(root, name), {recursive: true, force: true})
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FetchInterrupted()
}

async function extractAll(debDir: string, tree: string): Promise<Array<{name: string; version: string}>> {
  const packages: Array<{name: string; version: string}> = []
  for (const file of readdirSync(debDir).filter((name) => name.endsWith('.deb')).sort()) {
    packages.push(await debIdentity(join(debDir, file)))
    await extractDeb(join(debDir, file), tree)
  }
  return packages
}

/** Fetches, extracts, adds missing libraries, and checks the programs start; returns the manifest. */
async function buildTree(entry: CatalogEntry, staging: string, options: FetchOptions, progress: (line: string) => void): Promise<Omit<InstalledServer, 'dir'>> {
  const layout = architectureLayout(await dpkgArchitecture())
  const archives = fetchArchives(options.etcApt, options.env)
  const config = aptConfig(join(serversRoot(options.home), '.apt'), entry.suite, archives)
  progress(`Reading the ${entry.suite} package lists from ${archives.map((archive) => archive.uri).join(', ')}...`)
  await aptUpdate(config, options.signal)
  checkAborted(options.signal)
  const debDir = join(staging, 'debs')
  const tree = join(staging, 'tree')
  const wanted = [...entry.packages, ...RUNTIME_PACKAGES]
  progress(`Downloading ${wanted.join(', ')} (${entry.suite})...`)
  await aptDownload(config, wanted, debDir, options.signal)
  checkAborted(options.signal)
  let packages = await extractAll(debDir, tree)
  const loader = findLoader(tree, layout)
  if (!loader) throw new UserError(`The ${entry.suite} libc6 package holds no loader where twlab looks for it (${layout.loaders.join(', ')}).`)
  const names = programNames(entry.product)
  const programs = {server: `usr/bin/${names.server}`, cli: `usr/bin/${names.cli}`}
  for (const [role, path] of Object.entries(programs)) {
    if (!existsSync(join(tree, path))) throw new UserError(`The packages ${entry.packages.join(', ')} of ${entry.suite} hold no ${path} (${role}).`)
  }
  const manifest: Omit<InstalledServer, 'dir'> = {
    name: entry.name, product: entry.product, version: '', suite: entry.suite, packages, fetchedAt: new Date().toISOString(),
    loader, libraryPath: libraryPath(layout), programs,
  }
  const asInstalled = {...manifest, dir: tree}
  for (let round = 0; round < LIBRARY_ROUNDS; round++) {
    const libs = installedProgram(asInstalled, 'server').prefixArgs[1]
    const missing = [...new Set((await Promise.all(Object.values(programs).map((path) => missingLibraries(join(tree, loader), libs, join(tree, path))))).flat())]
    if (missing.length === 0) break
    const extra = packagesFor(missing).filter((name) => !packages.some((known) => known.name === name))
    if (extra.length === 0 || round === LIBRARY_ROUNDS - 1) throw new UserError(`${entry.name} still misses ${missing.join(', ')} after fetching ${entry.suite}'s libraries.`)
    progress(`This system lacks ${missing.join(', ')}: downloading ${extra.join(', ')} (${entry.suite})...`)
    const extraDir = join(staging, `debs-${round + 1}`)
    await aptDownload(config, extra, extraDir, options.signal)
    packages = [...packages, ...await extractAll(extraDir, tree)]
    manifest.packages = packages
  }
  progress(`Checking that ${names.server} and ${names.cli} start...`)
  const serverLine = await programVersion(installedProgram(asInstalled, 'server'), 10_000)
  const version = serverLine ? parseVersionLine(serverLine) : undefined
  if (!version) throw new UserError(`${names.server} of ${entry.suite} does not start on this system through its own C library${serverLine ? ` (it printed "${serverLine}")` : ''}.`)
  const cliLine = await programVersion(installedProgram(asInstalled, 'cli'), 10_000)
  if (!cliLine?.startsWith(`${names.cli} `)) throw new UserError(`${names.cli} of ${entry.suite} does not start on this system through its own C library.`)
  manifest.version = version.version
  return manifest
}

function failure(entry: CatalogEntry, error: unknown): UserError {
  if (error instanceof FetchInterrupted) {
    return new UserError(`The fetch of ${entry.name} was interrupted and nothing was installed: run \`twlab servers add ${entry.name}\` again.`, {exitCode: 130})
  }
  const why = (error as Error).message.replace(/\.$/, '')
  if (error instanceof AptFailure) {
    return new UserError(`Fetching ${entry.name} failed and nothing was installed (${why}): check that this machine reaches the Debian archive its apt sources name (or set ${ARCHIVE_ENV}), then run \`twlab servers add ${entry.name}\` again.`, {cause: error})
  }
  if (isUserError(error)) return new UserError(`Fetching ${entry.name} failed and nothing was installed: ${why}.`, {hint: error.hint, cause: error})
  return new UserError(`Fetching ${entry.name} failed and nothing was installed (${why}): run \`twlab servers add ${entry.name}\` again, and report it if it fails the same way.`, {cause: error})
}

/** Installs `entry` into $TWLAB_HOME/servers/<name> unless it is there already. */
export async function fetchServer(entry: CatalogEntry, options: FetchOptions): Promise<FetchResult> {
  const progress = options.progress ?? (() => undefined)
  const existing = readInstalled(options.home, entry.name)
  if (existing) return {server: existing, fetched: false}
  requireAptTools()
  const root = serversRoot(options.home)
  return withFetchLock(root, options.lockTimeoutMs ?? 600_000, progress, async () => {
    // Another process may have installed it while we waited for the lock.
    const installed = readInstalled(options.home, entry.name)
    if (installed) return {server: installed, fetched: false}
    removeAbandonedStaging(root)
    const staging = join(root, `.staging-${entry.name}-${process.pid}`)
    try {
      const manifest = await buildTree(entry, staging, options, progress)
      checkAborted(options.signal)
      writeFileSync(join(staging, 'tree', MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`)
      // One rename publishes the whole server: before it there is none, after it a complete one.
      renameSync(join(staging, 'tree'), join(root, entry.name))
      return {server: readInstalled(options.home, entry.name) as InstalledServer, fetched: true}
    } catch (error) {
      throw failure(entry, error)
    } finally {
      rmSync(staging, {recursive: true, force: true})
    }
  })
}
