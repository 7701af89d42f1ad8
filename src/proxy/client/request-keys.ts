// Which arguments of a forwarded redis request may name keys, for the key handover of a pool
// change. The first key is what nutcracker routes by; commands that take more keys (MGET/DEL/MSET
// fragments, EVAL's keys, RPOPLPUSH, SUNIONSTORE, ...) must find all of them on the new owner too,
// or a write there would start from nothing. Offering an argument that is not a key is harmless:
// handing over a name that holds no key is answered NOKEY.
import {Arity, publishedKeyIndexes, type PublishedCommands, Special} from '../../protocol/redis-commands.js'
import {RedisRequestScanner} from '../../protocol/redis-request.js'

/** Commands whose arguments after the first key may be keys as well. */
const ALL_ARGS = new Set(['rpoplpush', 'lmove', 'smove', 'copy', 'sort', 'sdiff', 'sdiffstore', 'sinter', 'sinterstore',
  'sunion', 'sunionstore', 'zdiff', 'zdiffstore', 'zinter', 'zinterstore', 'zunion', 'zunionstore', 'zrangestore',
  'pfmerge', 'pfcount', 'georadius', 'georadiusbymember', 'geosearchstore'])

/** Keys longer than this are not looked for among extra arguments (values, not names). */
const MAX_EXTRA_KEY = 1024

const plainScanner = new RedisRequestScanner(1 << 30, 1 << 30)
/** per pool with `command_keys: backend`: a scanner that knows its published commands too */
const publishedScanners = new WeakMap<PublishedCommands, RedisRequestScanner>()

function scannerFor(published: PublishedCommands | undefined): RedisRequestScanner {
  if (published === undefined) return plainScanner
  let scanner = publishedScanners.get(published)
  if (scanner === undefined) publishedScanners.set(published, (scanner = new RedisRequestScanner(1 << 30, 1 << 30, published)))
  return scanner
}

/**
 * [start, end) pairs of the request's (possible) keys within data, or null if it is not a
 * complete request. `published`: the pool's published commands, when it has them.
 */
export function requestKeys(data: Uint8Array, published?: PublishedCommands): number[] | null {
  const scanner = scannerFor(published)
  scanner.reset()
  if (scanner.scan(data, 0, data.length) !== data.length || scanner.cmd === undefined) return null
  const cmd = scanner.cmd
  const argc = scanner.argc
  const keys: number[] = []
  const add = (i: number) => keys.push(scanner.argStart(i), scanner.argEnd(i))
  switch (cmd.arity) {
    case Arity.Zero:
    case Arity.NoKey:
      return keys
    case Arity.MultiKey:
      for (let i = 1; i < argc; i++) add(i)
      return keys
    case Arity.KeyValues:
      for (let i = 1; i < argc; i += 2) add(i)
      return keys
    case Arity.Published:
      for (const i of publishedKeyIndexes(cmd.keys!, argc)) add(i)
      return keys
    case Arity.Eval: {
      const numkeys = Number(Buffer.from(data.subarray(scanner.argStart(2), scanner.argEnd(2))).toString('latin1'))
      for (let i = 3; i < argc && i < 3 + (Number.isInteger(numkeys) ? numkeys : 0); i++) add(i)
      return keys
    }
    default:
      add(1)
      if (cmd.special === Special.None && ALL_ARGS.has(cmd.name)) {
        for (let i = 2; i < argc; i++) if (scanner.argEnd(i) - scanner.argStart(i) <= MAX_EXTRA_KEY) add(i)
      }
      return keys
  }
}
