// Cross-slot requests on a cluster pool. MGET/DEL/UNLINK/TOUCH/MSET are split per slot by the
// client side; every other command goes whole to the master of its first key's slot. A command
// whose keys span slots is refused by any cluster node (CROSSSLOT), so twproxy answers that
// error itself rather than sending it. Checked precisely for the commands below, whose key
// positions are fixed by their syntax; for the rest (SORT ... STORE, GEORADIUS ... STORE) the
// node the request goes to gives the same answer.
import {keySlotOfRange} from '../../hashing/index.js'
import {type CommandInfo, lookupCommand} from '../../protocol/redis-commands.js'
import {commandNameRange, RedisRequestScanner} from '../../protocol/redis-request.js'

export const CROSSSLOT_REPLY = Buffer.from("-CROSSSLOT Keys in request don't hash to the same slot\r\n")

/** Where a command's keys are: every argument, the first two, or a numkeys count and the keys after it. */
const enum Keys {
  All = 0,
  FirstTwo = 1,
  /** numkeys at argument 1, keys from 2 (ZUNION) */
  CountAt1 = 2,
  /** destination at 1, numkeys at 2, keys from 3 (ZUNIONSTORE) */
  DestCountAt2 = 3,
  /** script at 1, numkeys at 2, keys from 3 (EVAL) */
  Script = 4,
}

const MULTI_KEY_COMMANDS = new Map<string, Keys>([
  ...['exists', 'sdiff', 'sinter', 'sunion', 'pfcount', 'sdiffstore', 'sinterstore', 'sunionstore', 'pfmerge',
    'mget', 'del', 'unlink', 'touch'].map((name) => [name, Keys.All] as const),
  ...['rpoplpush', 'smove', 'lmove', 'copy', 'zrangestore', 'geosearchstore'].map((name) => [name, Keys.FirstTwo] as const),
  ...['zdiff', 'zinter', 'zunion'].map((name) => [name, Keys.CountAt1] as const),
  ...['zdiffstore', 'zinterstore', 'zunionstore'].map((name) => [name, Keys.DestCountAt2] as const),
  ...['eval', 'evalsha'].map((name) => [name, Keys.Script] as const),
])

/** MULTI_KEY_COMMANDS by the command table's own entries (one identity lookup per request, no string). */
const byCommand = new Map<CommandInfo, Keys | null>()

const scanner = new RedisRequestScanner(1 << 30, 1 << 30)

function count(data: Uint8Array, arg: number): number {
  const text = Buffer.from(data.subarray(scanner.argStart(arg), scanner.argEnd(arg))).toString('latin1')
  return /^[0-9]+$/.test(text) ? Number(text) : 0
}

/** Whether the request's keys fall in more than one slot. */
export function isCrossSlot(data: Uint8Array): boolean {
  const name = commandNameRange(data)
  if (name === undefined) return false
  const cmd = lookupCommand(data, name[0], name[1])
  if (cmd === undefined) return false
  let keys = byCommand.get(cmd)
  if (keys === undefined) byCommand.set(cmd, (keys = MULTI_KEY_COMMANDS.get(cmd.name) ?? null))
  if (keys === null) return false
  scanner.reset()
  if (scanner.scan(data, 0, data.length) !== data.length) return false
  const argc = scanner.argc
  let first = 1
  let last = argc - 1
  switch (keys) {
    case Keys.FirstTwo:
      last = Math.min(2, last)
      break
    case Keys.CountAt1:
      first = 2
      last = Math.min(argc - 1, 1 + count(data, 1))
      break
    case Keys.DestCountAt2:
      last = Math.min(argc - 1, 2 + count(data, 2))
      first = 3
      if (last >= first) {
        // the destination must share the sources' slot too
        const dest = keySlotOfRange(data, scanner.argStart(1), scanner.argEnd(1))
        if (dest !== keySlotOfRange(data, scanner.argStart(3), scanner.argEnd(3))) return true
      }
      break
    case Keys.Script:
      first = 3
      last = Math.min(argc - 1, 2 + count(data, 2))
      break
  }
  if (last <= first) return false
  const slot = keySlotOfRange(data, scanner.argStart(first), scanner.argEnd(first))
  for (let i = first + 1; i <= last; i++) {
    if (keySlotOfRange(data, scanner.argStart(i), scanner.argEnd(i)) !== slot) return true
  }
  return false
}
