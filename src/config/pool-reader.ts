// One pool of a nutcracker.yml, read as nutcracker reads it: each key with nutcracker's own rules
// (numbers, booleans, hashes, listen, server entries) or as a registered twlab extension, then
// nutcracker's checks after parsing (servers and listen present, server_connections not 0,
// redis_auth only on redis pools, unique server names), then the pool with its defaults filled in
// and the extensions' own checks. Problems and warnings go to the file's lists (parse.ts).
import {DISTRIBUTIONS, HASH_NAMES, type Distribution, type HashName, type ListenAddress, type PoolConfig, type ServerConfig} from './types.js'
import {DIRECTIVES, POOL_DEFAULTS, findDirective, suggestKey} from './directives.js'
import {ExtensionValueError, findExtension} from './extensions.js'
import {parseListen} from './listen.js'
import {atoiWrapped, byteLength, compareNutcracker, nutcrackerAtoi} from './nutcracker-text.js'
import type {ConfigProblem} from './problems.js'
import {parseServerEntry} from './server-entry.js'
import type {RawEntry, RawPool, RawValue} from './yaml-shape.js'

export interface ExtensionUse {
  pool: string
  key: string
  line: number
  description: string
}

/** What the pools of one file share: where problems, warnings and extension uses are collected. */
export interface FileReading {
  file: string
  extensionsOn: boolean
  problems: ConfigProblem[]
  warnings: ConfigProblem[]
  extensionsUsed: ExtensionUse[]
}

/** A pool read without problems, and the line of its listen value. */
export interface PoolRead {
  pool: PoolConfig
  listenLine: number
}

/** Reads `raw`; undefined when the pool has a problem (recorded in `reading.problems`). */
export function readPool(raw: RawPool, reading: FileReading): PoolRead | undefined {
  return new PoolReader(raw, reading).read()
}

type ExtensionCheck = {key: string; line: number | undefined; check: (pool: PoolConfig) => void}

class PoolReader {
  /** keys set once already (all but servers) */
  private readonly set = new Set<string>()
  private listen: ListenAddress | undefined
  /** a listen key was present, even with a value that failed */
  private listenSeen = false
  private readonly servers: ServerConfig[] = []
  private readonly fields: Record<string, unknown> = {}
  private readonly extensions: Record<string, unknown> = {}
  private readonly appliers: Array<(pool: PoolConfig) => void> = []
  private readonly checkers: ExtensionCheck[] = []
  /** an extension supplies the pool's backends, so servers: may be left out */
  private providesServers = false
  private failed = false

  constructor(private readonly raw: RawPool, private readonly ctx: FileReading) {}

  read(): PoolRead | undefined {
    for (const entry of this.raw.entries) this.readEntry(entry)
    this.checkAfterParsing()
    if (this.failed || !this.listen) return undefined
    const pool = this.build(this.listen)
    if (!this.applyExtensions(pool)) return undefined
    return {pool, listenLine: this.lineOf('listen') ?? this.raw.line}
  }

  private here(line: number | undefined, key?: string) {
    return {file: this.ctx.file, line, pool: this.raw.name, ...(key === undefined ? {} : {key})}
  }

  private problem(p: Omit<ConfigProblem, 'file' | 'pool'> & {line?: number}): void {
    this.failed = true
    this.ctx.problems.push({file: this.ctx.file, pool: this.raw.name, ...p})
  }

  private lineOf(key: string): number | undefined {
    return this.raw.entries.find((e) => e.key === key)?.values[0]?.line
  }

  private readEntry(entry: RawEntry): void {
    if (entry.key === 'listen') this.listenSeen = true
    const directive = findDirective(entry.key)
    if (!directive) {
      this.readUnknownKey(entry)
      return
    }
    if (entry.sequence && entry.key !== 'servers' && entry.values.length > 0) {
      this.ctx.warnings.push({...this.here(entry.line, entry.key), problem: 'the value is a list; nutcracker accepts it, reading each item as a repeat of the key', fix: 'Write a single value on the same line as the key.'})
    }
    if (!entry.sequence && entry.key === 'servers') {
      this.ctx.warnings.push({...this.here(entry.line, entry.key), problem: 'servers is a single value, not a list; nutcracker accepts it as one server only because another key holds the list', fix: 'Write servers as a list, one "- host:port:weight" per line.'})
    }
    for (const value of entry.values) {
      if (value.text === '') {
        this.problem({line: value.line, key: entry.key, problem: 'the value is empty', fix: entry.sequence ? 'Remove the empty "-" item or give it a value.' : `Give ${entry.key} a value or remove the line.`})
        continue
      }
      if (directive.kind !== 'servers' && this.set.has(entry.key)) {
        this.problem({line: value.line, key: entry.key, problem: `${entry.key} is set twice in this pool`, fix: 'Keep one of the two lines.', nutcracker: `conf: directive "${entry.key}" is a duplicate`})
        continue
      }
      this.readValue(directive.kind, directive.field, entry, value)
    }
  }

  /** nutcracker's checks after parsing, in its order. */
  private checkAfterParsing(): void {
    const {raw, fields, servers} = this
    const file = this.ctx.file
    const lineOf = (key: string) => this.lineOf(key)
    if (raw.sequences === 0 && !this.providesServers) {
      this.problem({line: raw.line, problem: 'the pool has no "servers:" list', fix: 'Add "servers:" with one "- host:port:weight [name]" line per server.', nutcracker: `conf: '${file}' missing sequence directive at depth 2`})
    }
    if (!this.listen && !this.listenSeen) {
      this.problem({line: raw.line, problem: 'the pool has no "listen:" address', fix: 'Add "listen: 127.0.0.1:22121" (or the address clients should use).', nutcracker: 'conf: directive "listen:" is missing'})
    }
    if (fields.serverConnections === 0) {
      this.problem({line: lineOf('server_connections'), key: 'server_connections', problem: 'server_connections is 0', fix: 'Use 1 or more connections per server (1 is the default).', nutcracker: 'conf: directive "server_connections:" cannot be 0'})
    }
    if (fields.redisAuth !== undefined && fields.redis !== true) {
      this.problem({line: lineOf('redis_auth'), key: 'redis_auth', problem: 'redis_auth is set on a memcache pool', fix: 'Add "redis: true" to the pool, or remove redis_auth.', nutcracker: 'conf: directive "redis_auth:" is only valid for a redis pool'})
    }
    const serverValues = raw.entries.filter((e) => e.key === 'servers').reduce((n, e) => n + e.values.length + e.skipped, 0)
    if (serverValues === 0 && raw.sequences > 0 && !this.providesServers) {
      this.problem({line: raw.line, key: 'servers', problem: 'the pool has no servers', fix: 'List at least one server under "servers:".', nutcracker: `conf: pool '${raw.name}' has no servers`})
    }
    servers.sort((a, b) => compareNutcracker(a.name, b.name))
    for (let i = 1; i < servers.length; i++) {
      if (servers[i].name === servers[i - 1].name) {
        const [a, b] = [servers[i - 1], servers[i]].sort((x, y) => (x.line ?? 0) - (y.line ?? 0))
        this.problem({
          line: b.line, key: 'servers',
          problem: `two servers have the name "${b.name}" (lines ${a.line} and ${b.line})`,
          fix: b.name === a.address || b.name === a.host
            ? 'Give each server a distinct name after its weight, as in 127.0.0.1:6379:1 server1, or remove the repeated entry.'
            : 'Give each server a distinct name.',
          nutcracker: `conf: pool '${raw.name}' has servers with same name '${b.name}'`,
        })
      }
    }
  }

  /** The pool, nutcracker's defaults filled in. */
  private build(listen: ListenAddress): PoolConfig {
    const fields = this.fields
    return {
      name: this.raw.name,
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
      servers: this.servers,
      extensions: this.extensions,
      line: this.raw.line,
    }
  }

  /** Applies the extensions to the typed fields, then runs their checks; false when one refused the pool. */
  private applyExtensions(pool: PoolConfig): boolean {
    const {file, problems} = this.ctx
    for (const apply of this.appliers) apply(pool)
    for (const {key, line, check} of this.checkers) {
      try {
        check(pool)
      } catch (error) {
        if (!(error instanceof ExtensionValueError)) throw error
        problems.push({file, pool: this.raw.name, line, key, problem: error.problem, fix: error.fix})
      }
    }
    return !(this.checkers.length > 0 && problems.some((p) => p.pool === this.raw.name))
  }

  private readUnknownKey(entry: RawEntry): void {
    const extension = findExtension(entry.key)
    if (extension && this.ctx.extensionsOn) {
      const value = extension.value === 'sequence' ? entry.values.map((v) => v.text) : entry.values[0]?.text ?? ''
      if (extension.value === 'sequence' && !entry.sequence) {
        this.problem({line: entry.line, key: entry.key, problem: `${entry.key} takes a list`, fix: `Write one "- item" per line under ${entry.key}:.`})
        return
      }
      if (extension.value === 'scalar' && entry.sequence) {
        this.problem({line: entry.line, key: entry.key, problem: `${entry.key} takes a single value, not a list`, fix: 'Write the value on the same line as the key.'})
        return
      }
      if (entry.key in this.extensions) {
        this.problem({line: entry.line, key: entry.key, problem: `${entry.key} is set twice in this pool`, fix: 'Keep one of the two lines.'})
        return
      }
      try {
        const parsed = extension.parse(value)
        this.extensions[entry.key] = parsed
        if (extension.apply) this.appliers.push((pool) => extension.apply!(pool, parsed))
        if (extension.check) this.checkers.push({key: entry.key, line: entry.line, check: (pool) => extension.check!(pool, parsed)})
        if (extension.providesServers) this.providesServers = true
        this.ctx.extensionsUsed.push({pool: this.raw.name, key: entry.key, line: entry.line, description: extension.description})
      } catch (error) {
        if (!(error instanceof ExtensionValueError)) throw error
        this.problem({line: entry.values[0]?.line ?? entry.line, key: entry.key, problem: error.problem, fix: error.fix})
      }
      return
    }
    const suggestion = suggestKey(entry.key, DIRECTIVES.map((d) => d.key))
    this.problem({
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

  private readValue(kind: string, field: string, entry: RawEntry, value: RawValue): void {
    const {key} = entry
    const {text, line} = value
    const bad = (what: string, fix: string, reason: string) => this.problem({line, key, problem: what, fix, nutcracker: `conf: directive "${key}" ${reason}`})
    switch (kind) {
      case 'listen':
        this.readListen(text, line, key)
        break
      case 'hash':
        if (!(HASH_NAMES as readonly string[]).includes(text)) {
          bad(`"${text}" is not a valid hash`, `Use one of: ${HASH_NAMES.join(', ')}.`, 'is not a valid hash')
          break
        }
        this.fields.hash = text
        this.set.add(key)
        break
      case 'distribution':
        if (!(DISTRIBUTIONS as readonly string[]).includes(text)) {
          bad(`"${text}" is not a valid distribution`, `Use one of: ${DISTRIBUTIONS.join(', ')}.`, 'is not a valid distribution')
          break
        }
        this.fields.distribution = text
        this.set.add(key)
        break
      case 'hash_tag':
        if (byteLength(text) !== 2) {
          bad(`"${text}" is not two characters`, 'Use exactly two bytes, the opening and closing tag characters, quoted: "{}".', 'is not a valid hash tag string with two characters')
          break
        }
        this.fields.hashTag = text
        this.set.add(key)
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
          this.ctx.warnings.push({...this.here(line, key), problem: `${text} is too large: nutcracker wraps it around 2^32 and reads ${n}`, fix: 'Write a number below 2147483648.'})
        }
        if (key === 'client_connections') {
          this.ctx.warnings.push({...this.here(line, key), problem: 'client_connections is ignored by nutcracker 0.5.0 (it always uses 0, no limit)', fix: 'Remove the line; the only limit on clients is the open-file limit.'})
        }
        this.fields[field] = n
        this.set.add(key)
        break
      }
      case 'bool':
        if (text !== 'true' && text !== 'false') {
          bad(`"${text}" is not "true" or "false"`, 'Write true or false, in lower case.', 'is not "true" or "false"')
          break
        }
        this.fields[field] = text === 'true'
        this.set.add(key)
        break
      case 'string':
        this.fields[field] = text
        this.set.add(key)
        break
      case 'servers':
        this.readServer(text, line, key)
        break
    }
  }

  private readListen(text: string, line: number, key: string): void {
    this.listenSeen = true
    const parsed = parseListen(text)
    if (!parsed.ok) {
      this.problem({line, key, problem: parsed.problem, fix: parsed.fix, nutcracker: parsed.nutcracker})
      return
    }
    this.listen = parsed.listen
    this.set.add(key)
    if (parsed.listen.kind === 'unix' && parsed.listen.perm !== undefined && !/^0?[0-7]{1,3}$/.test(text.slice(text.lastIndexOf(' ') + 1))) {
      this.ctx.warnings.push({...this.here(line, key), problem: `the permission "${text.slice(text.lastIndexOf(' ') + 1)}" is read as octal ${parsed.listen.perm.toString(8).padStart(4, '0')}`, fix: 'Write the mode as three or four octal digits, e.g. 0666.'})
    }
  }

  private readServer(text: string, line: number, key: string): void {
    const parsed = parseServerEntry(text)
    if (!parsed.ok) {
      this.problem({line, key, problem: parsed.problem, fix: parsed.fix, nutcracker: parsed.nutcracker})
      return
    }
    if (!parsed.server.path && atoiWrapped(parsed.server.address.slice(parsed.server.host.length + 1), parsed.server.port)) {
      this.ctx.warnings.push({...this.here(line, key), problem: `the port in "${text}" is too large: nutcracker reads it as ${parsed.server.port}`, fix: 'Write the port as a number from 1 to 65535.'})
    }
    this.servers.push({...parsed.server, line})
  }
}
