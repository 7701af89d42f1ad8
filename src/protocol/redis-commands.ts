// The redis commands nutcracker accepts, grouped by the arity class its parser checks. Anything
// not in this table is unsupported: nutcracker closes the client connection, and so do we.
// Lookup is case-insensitive and works on the request's bytes in place (no string is built).
// A pool with `command_keys: backend` has a second table, PublishedCommands: the newer commands
// its servers publish with their key positions (COMMAND INFO key specs), consulted only when
// nutcracker's table does not know a name.

export const enum Arity {
  /** exactly the command: PING, QUIT, COMMAND */
  Zero = 0,
  /** command key */
  Key = 1,
  /** command key arg */
  KeyPlus1 = 2,
  /** command key arg arg */
  KeyPlus2 = 3,
  /** command key arg arg arg */
  KeyPlus3 = 4,
  /** command key [args...] */
  KeyPlusN = 5,
  /** command key [key...]: split per server when there are two keys or more */
  MultiKey = 6,
  /** command key value [key value...]: split per server when there are two pairs or more */
  KeyValues = 7,
  /** EVAL/EVALSHA script numkeys key [key...] [arg...]: routed by the first key */
  Eval = 8,
  /** command [args...] with no key (LOLWUT) */
  NoKey = 9,
  /** a command the pool's servers publish (PublishedCommands): `keys` says where its keys are */
  Published = 10,
}

/** What the proxy does with a command beyond forwarding it. */
export const enum Special {
  None = 0,
  Ping = 1,
  Quit = 2,
  Auth = 3,
  Mget = 4,
  Del = 5,
  Unlink = 6,
  Touch = 7,
  Mset = 8,
}

export interface CommandInfo {
  /** lowercase name */
  name: string
  arity: Arity
  special: Special
  /** read-only: a replica may answer it (read_from) */
  read: boolean
  /** Arity.Published only: the server's arity and key positions */
  keys?: PublishedKeys
}

/** One key spec of COMMAND INFO: keys from argument `begin`, a range as the server reads it. */
export interface KeyRange {
  begin: number
  /** >= 0: relative to begin; < 0: from the end (-1 the last argument) */
  lastKey: number
  step: number
  /** with lastKey < 0: only 1/limit of the arguments left are keys (0: all) */
  limit: number
}

export interface PublishedKeys {
  /** the server's arity: N exactly N arguments (name included), -N at least N */
  arity: number
  ranges: KeyRange[]
}

const TABLE: Array<[Arity, string]> = [
  [Arity.Zero, 'ping quit command'],
  [Arity.Key, 'persist pttl ttl type dump decr get getdel incr strlen hgetall hkeys hlen hvals llen scard smembers zcard'],
  [Arity.KeyPlus1, 'expire expireat pexpire pexpireat append decrby getbit getset incrby incrbyfloat setnx hexists hget ' +
    'hstrlen lindex rpoplpush sismember zrank zrevrank zscore'],
  [Arity.KeyPlus2, 'getrange psetex setbit setex setrange hincrby hincrbyfloat hsetnx lrange lrem lset ltrim smove zcount ' +
    'zlexcount zincrby zremrangebylex zremrangebyrank zremrangebyscore'],
  [Arity.KeyPlus3, 'linsert lmove'],
  // AUTH password (nutcracker's form) or AUTH user password (Redis 6): the client checks the count
  [Arity.KeyPlusN, 'auth sort copy bitcount bitpos bitfield exists getex set hdel hmget hmset hscan hset hrandfield lpush lpushx ' +
    'rpush rpushx lpop rpop lpos sadd sdiff sdiffstore sinter sinterstore srem sunion sunionstore srandmember sscan spop ' +
    'smismember pfadd pfmerge pfcount zadd zdiff zdiffstore zinter zinterstore zmscore zpopmax zpopmin zrandmember zrange ' +
    'zrangebylex zrangebyscore zrangestore zrem zrevrange zrevrangebylex zrevrangebyscore zscan zunion zunionstore geodist ' +
    'geopos geohash geoadd georadius georadiusbymember geosearch geosearchstore restore'],
  [Arity.MultiKey, 'mget del unlink touch'],
  [Arity.KeyValues, 'mset'],
  [Arity.Eval, 'eval evalsha'],
  [Arity.NoKey, 'lolwut'],
]

// The commands a replica answers as its master would (Redis's `readonly` flag), of those above:
// read_from sends these to replicas. Anything that writes, or may (SORT, GEORADIUS with STORE,
// EVAL), is not here and goes to the master.
const READS = new Set(('pttl ttl type dump get strlen hgetall hkeys hlen hvals llen scard smembers zcard getbit hexists hget ' +
  'hstrlen lindex sismember zrank zrevrank zscore getrange lrange zcount zlexcount bitcount bitpos exists hmget hscan ' +
  'hrandfield lpos sdiff sinter sunion srandmember sscan smismember pfcount zdiff zinter zmscore zrandmember zrange ' +
  'zrangebylex zrangebyscore zrevrange zrevrangebylex zrevrangebyscore zscan zunion geodist geopos geohash geosearch mget').split(' '))

const SPECIALS: Record<string, Special> = {
  ping: Special.Ping, quit: Special.Quit, auth: Special.Auth, mget: Special.Mget, del: Special.Del,
  unlink: Special.Unlink, touch: Special.Touch, mset: Special.Mset,
}

// Open-addressed tables keyed by (length, lowercase bytes): at least 4 slots per name keeps probes short.
function hashLower(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) {
    let c = buf[i]
    if (c >= 65 && c <= 90) c |= 0x20
    h = Math.imul(h ^ c, 16777619)
  }
  return h >>> 0
}

class CommandTable {
  private readonly mask: number
  private readonly names: Array<Uint8Array | undefined>
  private readonly infos: Array<CommandInfo | undefined>

  constructor(entries: CommandInfo[]) {
    let slots = 16
    while (slots < entries.length * 4) slots *= 2
    this.mask = slots - 1
    this.names = new Array(slots)
    this.infos = new Array(slots)
    for (const info of entries) {
      const bytes = Buffer.from(info.name, 'latin1')
      let slot = hashLower(bytes, 0, bytes.length) & this.mask
      while (this.names[slot] !== undefined) slot = (slot + 1) & this.mask
      this.names[slot] = bytes
      this.infos[slot] = info
    }
  }

  lookup(buf: Uint8Array, start: number, end: number): CommandInfo | undefined {
    const len = end - start
    const names = this.names
    let slot = hashLower(buf, start, end) & this.mask
    for (;;) {
      const name = names[slot]
      if (name === undefined) return undefined
      if (name.length === len) {
        let i = 0
        while (i < len) {
          let c = buf[start + i]
          if (c >= 65 && c <= 90) c |= 0x20
          if (c !== name[i]) break
          i++
        }
        if (i === len) return this.infos[slot]
      }
      slot = (slot + 1) & this.mask
    }
  }
}

const NUTCRACKER = new CommandTable(TABLE.flatMap(([arity, names]) => names.split(' ').map((name) => ({name, arity, special: SPECIALS[name] ?? Special.None, read: READS.has(name)}))))

/** The command whose name is buf[start, end), matched case-insensitively, or undefined. */
export function lookupCommand(buf: Uint8Array, start: number, end: number): CommandInfo | undefined {
  return NUTCRACKER.lookup(buf, start, end)
}

/**
 * A pool's published commands (`command_keys: backend`): replaced as a whole when the servers'
 * tables are read again (start, reload), shared by every client of the pool, never read per
 * request from a server.
 */
export class PublishedCommands {
  private table = new CommandTable([])
  private entries: CommandInfo[] = []

  replace(entries: Array<{name: string; keys: PublishedKeys}>): void {
    this.entries = entries.map(({name, keys}) => ({name: name.toLowerCase(), arity: Arity.Published, special: Special.None, read: false, keys}))
    this.table = new CommandTable(this.entries)
  }

  lookup(buf: Uint8Array, start: number, end: number): CommandInfo | undefined {
    return this.table.lookup(buf, start, end)
  }

  /** the names routed, lowercase and sorted (for the log and tests) */
  names(): string[] {
    return this.entries.map((entry) => entry.name).sort()
  }
}

/** Whether `argc` arguments (name included) satisfy the server's arity. */
export function publishedArityOk(keys: PublishedKeys, argc: number): boolean {
  return keys.arity >= 0 ? argc === keys.arity : argc >= -keys.arity
}

/** The last argument index a key range reaches in a request of `argc` arguments, as the server computes it. */
function rangeEnd(range: KeyRange, argc: number): number {
  let last: number
  if (range.lastKey >= 0) last = range.begin + range.lastKey
  else if (range.limit <= 1) last = argc + range.lastKey
  else last = range.begin + Math.floor((argc - range.begin) / range.limit) + range.lastKey
  return Math.min(last, argc - 1)
}

/** Whether argument `i` of a request of `argc` arguments is a key of this published command. */
export function isPublishedKey(keys: PublishedKeys, i: number, argc: number): boolean {
  for (const range of keys.ranges) {
    if (i >= range.begin && i <= rangeEnd(range, argc) && (i - range.begin) % Math.max(1, range.step) === 0) return true
  }
  return false
}

/** Every key argument index of a request of `argc` arguments, in order (the first is routed by). */
export function publishedKeyIndexes(keys: PublishedKeys, argc: number): number[] {
  const indexes = new Set<number>()
  for (const range of keys.ranges) {
    for (let i = range.begin; i <= rangeEnd(range, argc); i += Math.max(1, range.step)) indexes.add(i)
  }
  return [...indexes].sort((a, b) => a - b)
}

/** Every supported command name, lowercase (for tests and documentation). */
export function supportedCommands(): string[] {
  return TABLE.flatMap(([, names]) => names.split(' '))
}
