// Step two of reading a nutcracker.yml: the directives. Each pool key is read with nutcracker's
// own rules (numbers, booleans, hashes, listen, server entries), defaults are filled in, and the
// checks nutcracker runs after parsing are applied (listen present, server_connections not 0,
// redis_auth only on redis pools, servers present, unique server names, unique listen values,
// unique pool names). Pools and servers come out in nutcracker's sorted order.
import {DISTRIBUTIONS, HASH_NAMES, type Distribution, type HashName, type ListenAddress, type NutcrackerConfig, type PoolConfig, type ServerConfig} from './types.js'
import {DIRECTIVES, POOL_DEFAULTS, findDirective, suggestKey} from './directives.js'
import {ExtensionValueError, findExtension, listExtensions} from './extensions.js'
import {parseListen} from './listen.js'
import {atoiWrapped, byteLength, compareNutcracker, nutcrackerAtoi} from './nutcracker-text.js'
import {ConfigError, sortProblems, type ConfigProblem} from './problems.js'
import {parseServerEntry} from './server-entry.js'
import {readYamlShape, type RawEntry, type RawPool, type RawValue} from './yaml-shape.js'

export interface ParseOptions {
  /** accept twlab's registered extension keys (see extensions.ts); default false: nutcracker-exact */
  extensions?: boolean
}

export interface ExtensionUse {
  pool: string
  key: string
  line: number
  description: string
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
  const extraSequenceKeys = new Set(extensionsOn ? listExtensions().filter((e) => e.value === 'sequence').map((e) => e.key) : [])
  const shape = readYamlShape(text, {file, extraSequenceKeys})
  const problems = [...shape.problems]
  const warnings: ConfigProblem[] = []
  const extensionsUsed: ExtensionUse[] = []
  const listenHosts: ListenHost[] = []
  const result = (config?: NutcrackerConfig): ConfigAnalysis => ({file, config, problems: sortProblems(problems), warnings: sortProblems(warnings), extensionsUsed, listenHosts})
  if (!shape.readable) return result()

  const pools: PoolConfig[] = []
  const listenLines = new Map<PoolConfig, number>()
  for (const raw of shape.pools) {
    const pool = readPool(raw)
    if (pool) pools.push(pool)
  }

  // Checks across pools: a listen value (as text) and a pool name may each be used once.
  const seenListen = new Map<string, PoolConfig>()
  for (const pool of pools) {
    const other = seenListen.get(pool.listen.text)
    if (other) {
      problems.push({
        file, line: listenLines.get(pool), pool: pool.name, key: 'listen',
        problem: `pools "${other.name}" and "${pool.name}" both listen on "${pool.listen.text}"`,
        fix: 'Give each pool its own listen address.',
        nutcracker: `conf: pools '${other.name}' and '${pool.name}' have the same listen address '${pool.listen.text}'`,
      })
    } else seenListen.set(pool.listen.text, pool)
  }
  const seenNames = new Set<string>()
  for (const raw of shape.pools) {
    if (seenNames.has(raw.name)) {
      problems.push({file, line: raw.line, pool: raw.name, problem: `there is another pool named "${raw.name}"`, fix: 'Rename one of the two pools.', nutcracker: `conf: '${file}' has pools with same name ${raw.name}'`})
    }
    seenNames.add(raw.name)
  }
  if (problems.length > 0) return result()
  if (pools.length === 0) {
    problems.push({file, problem: 'the file has no pools', fix: 'Add a pool: its name at the left margin, then listen: and servers: indented under it.', nutcracker: `conf: '${file}' has no pools`})
    return result()
  }
  pools.sort((a, b) => compareNutcracker(a.name, b.name))
  return result({file, pools})

  function readPool(raw: RawPool): PoolConfig | undefined {
    const here = (line: number | undefined, key?: string) => ({file, line, pool: raw.name, ...(key === undefined ? {} : {key})})
    const set = new Set<string>()
    let listen: ListenAddress | undefined
    let listenSeen = false
    const servers: ServerConfig[] = []
    const fields: Record<string, unknown> = {}
    const extensions: Record<string, unknown> = {}
    const appliers: Array<(pool: PoolConfig) => void> = []
    const checkers: Array<{key: string; line: number | undefined; check: (pool: PoolConfig) => void}> = []
    let failed = false
    const problem = (p: Omit<ConfigProblem, 'file' | 'pool'> & {line?: number}) => {
      failed = true
      problems.push({file, pool: raw.name, ...p})
    }

    let providesServers = false
    for (const entry of raw.entries) {
      if (entry.key === 'listen') listenSeen = true
      const directive = findDirective(entry.key)
      if (!directive) {
        readUnknownKey(entry)
        continue
      }
      if (entry.sequence && entry.key !== 'servers' && entry.values.length > 0) {
        warnings.push({...here(entry.line, entry.key), problem: 'the value is a list; nutcracker accepts it, reading each item as a repeat of the key', fix: 'Write a single value on the same line as the key.'})
      }
      if (!entry.sequence && entry.key === 'servers') {
        warnings.push({...here(entry.line, entry.key), problem: 'servers is a single value, not a list; nutcracker accepts it as one server only because another key holds the list', fix: 'Write servers as a list, one "- host:port:weight" per line.'})
      }
      for (const value of entry.values) {
        if (value.text === '') {
          problem({line: value.line, key: entry.key, problem: 'the value is empty', fix: entry.sequence ? 'Remove the empty "-" item or give it a value.' : `Give ${entry.key} a value or remove the line.`})
          continue
        }
        if (directive.kind !== 'servers') {
          if (set.has(entry.key)) {
            problem({line: value.line, key: entry.key, problem: `${entry.key} is set twice in this pool`, fix: 'Keep one of the two lines.', nutcracker: `conf: directive "${entry.key}" is a duplicate`})
            continue
          }
        }
        readValue(directive.kind, directive.field, entry, value)
      }
    }

    // nutcracker's checks after parsing, in its order.
    if (raw.sequences === 0 && !providesServers) {
      problem({line: raw.line, problem: 'the pool has no "servers:" list', fix: 'Add "servers:" with one "- host:port:weight [name]" line per server.', nutcracker: `conf: '${file}' missing sequence directive at depth 2`})
    }
    if (!listen && !listenSeen) {
      problem({line: raw.line, problem: 'the pool has no "listen:" address', fix: 'Add "listen: 127.0.0.1:22121" (or the address clients should use).', nutcracker: 'conf: directive "listen:" is missing'})
    }
    if (fields.serverConnections === 0) {
      problem({line: lineOf('server_connections'), key: 'server_connections', problem: 'server_connections is 0', fix: 'Use 1 or more connections per server (1 is the default).', nutcracker: 'conf: directive "server_connections:" cannot be 0'})
    }
    if (fields.redisAuth !== undefined && fields.redis !== true) {
      problem({line: lineOf('redis_auth'), key: 'redis_auth', problem: 'redis_auth is set on a memcache pool', fix: 'Add "redis: true" to the pool, or remove redis_auth.', nutcracker: 'conf: directive "redis_auth:" is only valid for a redis pool'})
    }
    const serverValues = raw.entries.filter((e) => e.key === 'servers').reduce((n, e) => n + e.values.length + e.skipped, 0)
    if (serverValues === 0 && raw.sequences > 0 && !providesServers) {
      problem({line: raw.line, key: 'servers', problem: 'the pool has no servers', fix: 'List at least one server under "servers:".', nutcracker: `conf: pool '${raw.name}' has no servers`})
    }
    servers.sort((a, b) => compareNutcracker(a.name, b.name))
    for (let i = 1; i < servers.length; i++) {
      if (servers[i].name === servers[i - 1].name) {
        const [a, b] = [servers[i - 1], servers[i]].sort((x, y) => (x.line ?? 0) - (y.line ?? 0))
        problem({
          line: b.line, key: 'servers',
          problem: `two servers have the name "${b.name}" (lines ${a.line} and ${b.line})`,
          fix: b.name === a.address || b.name === a.host
            ? 'Give each server a distinct name after its weight, as in 127.0.0.1:6379:1 server1, or remove the repeated entry.'
            : 'Give each server a distinct name.',
          nutcracker: `conf: pool '${raw.name}' has servers with same name '${b.name}'`,
        })
      }
    }
    if (failed || !listen) return undefined

    const pool: PoolConfig = {
      name: raw.name,
      listen,
      hash: (fields.hash as HashName | undefined) ?? POOL_DEFAULTS.hash,
      ...(fields.hashTag === undefined ? {} : {hashTag: fields.hashTag as string}),
      distribution: (fields.distribution as Distribution | undefined) ?? POOL_DEFAULTS.distribution,
      timeout: (fields.timeout as number | undefined) ?? POOL_DEFAULTS.timeout,
      backlog: (fields.backlog as number | undefined) ?? POOL_DEFAULTS.backlog,
      // nutcracker 0.5.0 parses client_connections and then always overwrites it with 0.
      clientConnections: POOL_DEFAULTS.clientConnections,
      redis: (fields.redis as boolean | undefined) ?? POOL_DEFAULTS.redis,
      ...(fields.redisAuth === undefined ? {} : {redisAuth: fields.redisAuth as string}),
      redisDb: (fields.redisDb as number | undefined) ?? POOL_DEFAULTS.redisDb,
      preconnect: (fields.preconnect as boolean | undefined) ?? POOL_DEFAULTS.preconnect,
      autoEjectHosts: (fields.autoEjectHosts as boolean | undefined) ?? POOL_DEFAULTS.autoEjectHosts,
      serverConnections: (fields.serverConnections as number | undefined) ?? POOL_DEFAULTS.serverConnections,
      serverRetryTimeout: (fields.serverRetryTimeout as number | undefined) ?? POOL_DEFAULTS.serverRetryTimeout,
      serverFailureLimit: (fields.serverFailureLimit as number | undefined) ?? POOL_DEFAULTS.serverFailureLimit,
      tcpkeepalive: (fields.tcpkeepalive as boolean | undefined) ?? POOL_DEFAULTS.tcpkeepalive,
      reuseport: POOL_DEFAULTS.reuseport,
      servers,
      extensions,
      line: raw.line,
    }
    for (const apply of appliers) apply(pool)
    for (const {key, line, check} of checkers) {
      try {
        check(pool)
      } catch (error) {
        if (!(error instanceof ExtensionValueError)) throw error
        problems.push({file, pool: raw.name, line, key, problem: error.problem, fix: error.fix})
      }
    }
    if (checkers.length > 0 && problems.some((p) => p.pool === raw.name)) return undefined
    listenLines.set(pool, lineOf('listen') ?? raw.line)
    if (listen.kind === 'tcp') listenHosts.push({pool: raw.name, host: listen.host, port: listen.port, line: lineOf('listen') ?? raw.line})
    return pool

    function lineOf(key: string): number | undefined {
      return raw.entries.find((e) => e.key === key)?.values[0]?.line
    }

    function readUnknownKey(entry: RawEntry): void {
      const extension = findExtension(entry.key)
      if (extension && extensionsOn) {
        const value = extension.value === 'sequence' ? entry.values.map((v) => v.text) : entry.values[0]?.text ?? ''
        if (extension.value === 'sequence' && !entry.sequence) {
          problem({line: entry.line, key: entry.key, problem: `${entry.key} takes a list`, fix: `Write one "- item" per line under ${entry.key}:.`})
          return
        }
        if (extension.value === 'scalar' && entry.sequence) {
          problem({line: entry.line, key: entry.key, problem: `${entry.key} takes a single value, not a list`, fix: 'Write the value on the same line as the key.'})
          return
        }
        if (entry.key in extensions) {
          problem({line: entry.line, key: entry.key, problem: `${entry.key} is set twice in this pool`, fix: 'Keep one of the two lines.'})
          return
        }
        try {
          const parsed = extension.parse(value)
          extensions[entry.key] = parsed
          if (extension.apply) appliers.push((pool) => extension.apply!(pool, parsed))
          if (extension.check) checkers.push({key: entry.key, line: entry.line, check: (pool) => extension.check!(pool, parsed)})
          if (extension.providesServers) providesServers = true
          extensionsUsed.push({pool: raw.name, key: entry.key, line: entry.line, description: extension.description})
        } catch (error) {
          if (!(error instanceof ExtensionValueError)) throw error
          problem({line: entry.values[0]?.line ?? entry.line, key: entry.key, problem: error.problem, fix: error.fix})
        }
        return
      }
      const suggestion = suggestKey(entry.key, DIRECTIVES.map((d) => d.key))
      problem({
        line: entry.line, key: entry.key,
        problem: extension ? `${entry.key} is a twlab extension that nutcracker does not know` : `${entry.key} is not a nutcracker setting`,
        fix: extension
          ? `${extension.description}. Pass --extensions to accept it (twlab only: nutcracker itself will refuse this file).`
          : suggestion && suggestion !== entry.key
            ? `Did you mean "${suggestion}"? Keys are lower case.`
            : `Remove it. Known keys: ${DIRECTIVES.map((d) => d.key).join(', ')}.`,
        nutcracker: `conf: directive "${entry.key}" is unknown`,
      })
    }

    function readValue(kind: string, field: string, entry: RawEntry, value: RawValue): void {
      const {key} = entry
      const {text, line} = value
      const bad = (what: string, fix: string, reason: string) => problem({line, key, problem: what, fix, nutcracker: `conf: directive "${key}" ${reason}`})
      switch (kind) {
        case 'listen': {
          listenSeen = true
          const parsed = parseListen(text)
          if (!parsed.ok) {
            problem({line, key, problem: parsed.problem, fix: parsed.fix, nutcracker: parsed.nutcracker})
            break
          }
          listen = parsed.listen
          set.add(key)
          if (parsed.listen.kind === 'unix' && parsed.listen.perm !== undefined && !/^0?[0-7]{1,3}$/.test(text.slice(text.lastIndexOf(' ') + 1))) {
            warnings.push({...here(line, key), problem: `the permission "${text.slice(text.lastIndexOf(' ') + 1)}" is read as octal ${parsed.listen.perm.toString(8).padStart(4, '0')}`, fix: 'Write the mode as three or four octal digits, e.g. 0666.'})
          }
          break
        }
        case 'hash':
          if (!(HASH_NAMES as readonly string[]).includes(text)) {
            bad(`"${text}" is not a valid hash`, `Use one of: ${HASH_NAMES.join(', ')}.`, 'is not a valid hash')
            break
          }
          fields.hash = text
          set.add(key)
          break
        case 'distribution':
          if (!(DISTRIBUTIONS as readonly string[]).includes(text)) {
            bad(`"${text}" is not a valid distribution`, `Use one of: ${DISTRIBUTIONS.join(', ')}.`, 'is not a valid distribution')
            break
          }
          fields.distribution = text
          set.add(key)
          break
        case 'hash_tag':
          if (byteLength(text) !== 2) {
            bad(`"${text}" is not two characters`, 'Use exactly two bytes, the opening and closing tag characters, quoted: "{}".', 'is not a valid hash tag string with two characters')
            break
          }
          fields.hashTag = text
          set.add(key)
          break
        case 'number': {
          const n = nutcrackerAtoi(text)
          if (n === undefined) {
            const fix = /^-\d+$/.test(text) && key === 'timeout'
              ? 'Remove the line to wait forever (the default); nutcracker takes no negative numbers.'
              : 'Write a whole number of 0 or more, digits only (no sign, no decimals, below 2147483648).'
            bad(`"${text}" is not a number`, fix, 'is not a number')
            break
          }
          if (atoiWrapped(text, n)) {
            warnings.push({...here(line, key), problem: `${text} is too large: nutcracker wraps it around 2^32 and reads ${n}`, fix: 'Write a number below 2147483648.'})
          }
          if (key === 'client_connections') {
            warnings.push({...here(line, key), problem: 'client_connections is ignored by nutcracker 0.5.0 (it always uses 0, no limit)', fix: 'Remove the line; the only limit on clients is the open-file limit.'})
          }
          fields[field] = n
          set.add(key)
          break
        }
        case 'bool':
          if (text !== 'true' && text !== 'false') {
            bad(`"${text}" is not "true" or "false"`, 'Write true or false, in lower case.', 'is not "true" or "false"')
            break
          }
          fields[field] = text === 'true'
          set.add(key)
          break
        case 'string':
          fields[field] = text
          set.add(key)
          break
        case 'servers': {
          const parsed = parseServerEntry(text)
          if (!parsed.ok) {
            problem({line, key, problem: parsed.problem, fix: parsed.fix, nutcracker: parsed.nutcracker})
            break
          }
          if (!parsed.server.path && atoiWrapped(parsed.server.address.slice(parsed.server.host.length + 1), parsed.server.port)) {
            warnings.push({...here(line, key), problem: `the port in "${text}" is too large: nutcracker reads it as ${parsed.server.port}`, fix: 'Write the port as a number from 1 to 65535.'})
          }
          servers.push({...parsed.server, line})
          break
        }
      }
    }
  }
}
