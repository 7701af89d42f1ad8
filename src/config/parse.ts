// Reading a nutcracker.yml, in steps: the YAML shape (yaml-shape.ts: nutcracker's grammar of
// pools, keys and lists), each pool's directives with nutcracker's own rules and checks
// (pool-reader.ts), then the checks across pools (unique listen values, unique pool names) and
// nutcracker's order: pools and servers come out sorted as nutcracker sorts them.
import type {NutcrackerConfig, PoolConfig} from './types.js'
import {listExtensions} from './extensions.js'
import {compareNutcracker} from './nutcracker-text.js'
import {ConfigError, sortProblems, type ConfigProblem} from './problems.js'
import {type ExtensionUse, type FileReading, type PoolRead, readPool} from './pool-reader.js'
import {readYamlShape, type RawPool} from './yaml-shape.js'

export type {ExtensionUse}

export interface ParseOptions {
  /** accept twlab's registered extension keys (see extensions.ts); default false: nutcracker-exact */
  extensions?: boolean
}

/** A listen host that must still go through the system resolver, as nutcracker does at start-up. */
export interface ListenHost {
  pool: string
  host: string
  port: number
  line: number
}

export interface ConfigAnalysis {
  file: string
  /** set when there are no problems */
  config?: NutcrackerConfig
  /** what makes nutcracker refuse the file, in file order */
  problems: ConfigProblem[]
  /** legal but probably not what was meant (nutcracker is silent about these) */
  warnings: ConfigProblem[]
  /** twlab extension keys in use (nutcracker itself would reject these) */
  extensionsUsed: ExtensionUse[]
  /** TCP listen hosts to resolve before the file is known to be valid */
  listenHosts: ListenHost[]
}

/**
 * Parses and validates nutcracker.yml text; throws ConfigError when nutcracker would refuse it.
 * Listen host names are not resolved here (that needs the system resolver): loadConfig() and
 * checkConfigFile() do it.
 */
export function parseConfig(text: string, file = '<string>', options: ParseOptions = {}): NutcrackerConfig {
  const analysis = analyzeConfig(text, file, options)
  if (analysis.problems.length > 0) throw new ConfigError(analysis.problems)
  return analysis.config!
}

/** Like parseConfig, but never throws: every problem and warning found. */
export function analyzeConfig(text: string, file = '<string>', options: ParseOptions = {}): ConfigAnalysis {
  const extensionsOn = options.extensions === true
  // step one: the YAML shape (yaml-shape.ts)
  const extraSequenceKeys = new Set(extensionsOn ? listExtensions().filter((e) => e.value === 'sequence').map((e) => e.key) : [])
  const shape = readYamlShape(text, {file, extraSequenceKeys})
  const reading: FileReading = {file, extensionsOn, problems: [...shape.problems], warnings: [], extensionsUsed: []}
  const listenHosts: ListenHost[] = []
  const result = (config?: NutcrackerConfig): ConfigAnalysis => ({
    file, config, problems: sortProblems(reading.problems), warnings: sortProblems(reading.warnings), extensionsUsed: reading.extensionsUsed, listenHosts,
  })
  if (!shape.readable) return result()
  // step two: each pool's directives (pool-reader.ts)
  const read = readPools(shape.pools, reading, listenHosts)
  // step three: checks across pools, then nutcracker's order
  checkAcrossPools(shape.pools, read, reading)
  if (reading.problems.length > 0) return result()
  if (read.length === 0) {
    reading.problems.push({file, problem: 'the file has no pools', fix: 'Add a pool: its name at the left margin, then listen: and servers: indented under it.', nutcracker: `conf: '${file}' has no pools`})
    return result()
  }
  const pools = read.map(({pool}) => pool).sort((a, b) => compareNutcracker(a.name, b.name))
  return result({file, pools})
}

/** The pools read without problems, in file order; their TCP listen hosts are noted for resolving. */
function readPools(raws: RawPool[], reading: FileReading, listenHosts: ListenHost[]): PoolRead[] {
  const read: PoolRead[] = []
  for (const raw of raws) {
    const pool = readPool(raw, reading)
    if (pool === undefined) continue
    read.push(pool)
    const listen = pool.pool.listen
    if (listen.kind === 'tcp') listenHosts.push({pool: raw.name, host: listen.host, port: listen.port, line: pool.listenLine})
  }
  return read
}

/** A listen value (as text) and a pool name may each be used once in a file. */
function checkAcrossPools(raws: RawPool[], read: PoolRead[], reading: FileReading): void {
  const {file, problems} = reading
  const seenListen = new Map<string, PoolConfig>()
  for (const {pool, listenLine} of read) {
    const other = seenListen.get(pool.listen.text)
    if (other) {
      problems.push({
        file, line: listenLine, pool: pool.name, key: 'listen',
        problem: `pools "${other.name}" and "${pool.name}" both listen on "${pool.listen.text}"`,
        fix: 'Give each pool its own listen address.',
        nutcracker: `conf: pools '${other.name}' and '${pool.name}' have the same listen address '${pool.listen.text}'`,
      })
    } else seenListen.set(pool.listen.text, pool)
  }
  const seenNames = new Set<string>()
  for (const raw of raws) {
    if (seenNames.has(raw.name)) {
      problems.push({file, line: raw.line, pool: raw.name, problem: `there is another pool named "${raw.name}"`, fix: 'Rename one of the two pools.', nutcracker: `conf: '${file}' has pools with same name ${raw.name}'`})
    }
    seenNames.add(raw.name)
  }
}
