// `command_keys: backend`: the commands a pool routes beyond nutcracker's table, read from what
// its servers publish. On the control path only: once when the pool's backend starts (and again
// for the backend a reload builds), never per request. A command is taken when it is
//  - unknown to nutcracker's table, and added after Redis 7.0 (COMMAND DOCS `since` >= 7.1, or
//    a module's command, such as Redis 8's vector sets),
//  - not blocking, pub/sub or admin (one blocked request would hold a shared server connection),
//  - and its keys sit at fixed positions: every key spec of COMMAND INFO that names keys begins
//    at an index and takes a range (first key, last key, step). Keyword- or keynum-searched keys
//    (Valkey 9.1's MSETEX numkeys ...) and movable keys stay refused; an argument flagged
//    not_key (CLUSTERSCAN's cursor) is no key. HGETEX's "FIELDS numfields field..." are fields:
//    its only key is argument 1.
// Every server of the pool is asked; a command is routed only when all that answer publish it
// with the same key positions.
import type {Redis} from 'ioredis'
import type {Address} from '../../address.js'
import {formatAddress} from '../../address.js'
import {lookupCommand, PublishedCommands, type KeyRange, type PublishedKeys} from '../../protocol/redis-commands.js'
import type {PoolBackend} from '../backend.js'
import type {Logger} from '../cli/log.js'

/** A pool none of whose servers answered is asked again this often, msec. */
const RETRY_MS = 5_000
const TIMEOUT_MS = 3_000
const REFUSED_FLAGS = new Set(['blocking', 'pubsub', 'admin', 'movablekeys'])

/** RESP2 maps arrive as flat [key, value, key, value...] arrays. */
function asMap(value: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>()
  if (!Array.isArray(value)) return map
  for (let i = 0; i + 1 < value.length; i += 2) map.set(String(value[i]), value[i + 1])
  return map
}

function isAfterRedis70(since: unknown, group: unknown): boolean {
  if (typeof since !== 'string') return group === 'module'
  const [major, minor] = since.split('.').map(Number)
  return major > 7 || (major === 7 && minor >= 1)
}

/** One key spec as a range, null when it is no key (not_key), undefined when its positions move. */
function specRange(spec: unknown): KeyRange | null | undefined {
  const fields = asMap(spec)
  const flags = fields.get('flags')
  if (Array.isArray(flags) && flags.map(String).includes('not_key')) return null
  const begin = asMap(fields.get('begin_search'))
  const find = asMap(fields.get('find_keys'))
  if (begin.get('type') !== 'index' || find.get('type') !== 'range') return undefined
  const index = Number(asMap(begin.get('spec')).get('index'))
  const range = asMap(find.get('spec'))
  const [lastKey, step, limit] = ['lastkey', 'keystep', 'limit'].map((name) => Number(range.get(name)))
  if (!(index >= 1) || !Number.isInteger(lastKey) || !(step >= 1) || !(limit >= 0)) return undefined
  return {begin: index, lastKey, step, limit}
}

/** Where one COMMAND INFO entry's keys are, or undefined when they are not at fixed positions. */
export function keyPositions(entry: unknown[]): PublishedKeys | undefined {
  const [, arity, flags, first, last, step, , , specs] = entry
  if (!Array.isArray(flags) || flags.map(String).some((flag) => REFUSED_FLAGS.has(flag))) return undefined
  const ranges: KeyRange[] = []
  if (Array.isArray(specs) && specs.length > 0) {
    for (const spec of specs) {
      const range = specRange(spec)
      if (range === undefined) return undefined
      if (range !== null) ranges.push(range)
    }
  } else if (Number(first) >= 1 && Number(step) >= 1) {
    const firstKey = Number(first)
    const lastKey = Number(last)
    ranges.push({begin: firstKey, lastKey: lastKey < 0 ? lastKey : lastKey - firstKey, step: Number(step), limit: 0})
  }
  return ranges.length > 0 ? {arity: Number(arity), ranges} : undefined
}

/** The routable newer commands one server publishes, by lowercase name. */
export async function serverCommands(client: Redis): Promise<Map<string, PublishedKeys>> {
  const infos = (await client.call('COMMAND')) as unknown[][]
  const docs = asMap(await client.call('COMMAND', 'DOCS'))
  const found = new Map<string, PublishedKeys>()
  for (const entry of infos) {
    const name = String(entry[0]).toLowerCase()
    const bytes = Buffer.from(name, 'latin1')
    if (name.includes('|') || lookupCommand(bytes, 0, bytes.length) !== undefined) continue
    const doc = asMap(docs.get(name) ?? docs.get(String(entry[0])))
    if (!isAfterRedis70(doc.get('since'), doc.get('group'))) continue
    const keys = keyPositions(entry)
    if (keys !== undefined) found.set(name, keys)
  }
  return found
}

/** The commands every table publishes with the same key positions. */
export function commonCommands(tables: Array<Map<string, PublishedKeys>>): Array<{name: string; keys: PublishedKeys}> {
  if (tables.length === 0) return []
  const [first, ...rest] = tables
  const same = (a: PublishedKeys, b: PublishedKeys | undefined) => b !== undefined && JSON.stringify(a) === JSON.stringify(b)
  return [...first].filter(([name, keys]) => rest.every((table) => same(keys, table.get(name)))).map(([name, keys]) => ({name, keys}))
}

/** The distinct servers a backend routes to now (a cluster's masters, a pool's servers). */
function backendServers(backend: PoolBackend): Address[] {
  const servers = new Map<string, Address>()
  for (let i = 0; i < backend.serverCount; i++) {
    const address = backend.serverAt(i)
    if (address !== undefined) servers.set(formatAddress(address), address)
  }
  return [...servers.values()]
}

async function askServer(address: Address, password: string | undefined): Promise<Map<string, PublishedKeys> | undefined> {
  // the client library loads only for pools that opted in (`command_keys: backend`)
  const {slotMapClient} = await import('../control-client.js')
  const client = slotMapClient(address, {password, timeoutMs: TIMEOUT_MS})
  try {
    await client.connect()
    return await serverCommands(client)
  } catch {
    return undefined
  } finally {
    client.disconnect()
  }
}

/**
 * A pool's published commands (`command_keys: backend`), read from the servers of its backend
 * when it starts and again for each backend a reload swaps in. When no server answers, the pool
 * keeps what it had (nutcracker's table at first) and asks again RETRY_MS later, until it has an
 * answer or a newer backend replaced that one.
 */
export class BackendCommandTable {
  readonly commands = new PublishedCommands()
  /** bumped per load and by stop(): an older load's answer or retry is dropped */
  private generation = 0

  constructor(private readonly pool: {name: string; redisAuth?: string}, private readonly logger: Logger) {}

  /** Reads the tables of `backend`'s servers (one attempt; retries go on in the background). */
  async load(backend: PoolBackend): Promise<void> {
    const generation = ++this.generation
    if (!(await this.attempt(backend, generation))) this.retryLater(backend, generation)
  }

  stop(): void {
    this.generation++
  }

  private retryLater(backend: PoolBackend, generation: number): void {
    this.logger.warn(`pool '${this.pool.name}': no server answered COMMAND for command_keys: backend; nutcracker's table only, asking again in ${RETRY_MS / 1000} s`, 'command-keys.ts')
    setTimeout(() => {
      if (generation !== this.generation) return
      void this.attempt(backend, generation).then((done) => {
        if (!done && generation === this.generation) this.retryLater(backend, generation)
      })
    }, RETRY_MS).unref()
  }

  private async attempt(backend: PoolBackend, generation: number): Promise<boolean> {
    const servers = backendServers(backend)
    const tables = (await Promise.all(servers.map((server) => askServer(server, this.pool.redisAuth)))).filter((found) => found !== undefined)
    if (generation !== this.generation) return true
    if (tables.length === 0) return false
    this.commands.replace(commonCommands(tables))
    const names = this.commands.names()
    this.logger.notice(`pool '${this.pool.name}' routes ${names.length} commands its ${tables.length} servers publish (command_keys: backend)${names.length > 0 ? `: ${names.join(' ')}` : ''}`, 'command-keys.ts')
    return true
  }
}
