// What one command of a source's replication stream becomes on the target cluster. A master
// sends its replicas SELECT, the write commands as executed (Redis 7 already sends expiries as
// absolute times, scripts and functions as their effects inside MULTI/EXEC, expired keys as
// DEL), PING, and REPLCONF GETACK. Here each one is sorted out:
// - only the pool's database counts (SELECT tracks which one the commands are for);
// - a command whose keys share a slot is applied as it is, routed by that slot;
// - DEL, UNLINK, TOUCH, MSET and MSETNX over several slots are split per slot (MSETNX that reached
//   the stream succeeded, so its parts are plain MSETs);
// - any other command over several slots, and MOVE or COPY ... DB (a key entering or leaving the
//   pool's database), is replaced by copying its keys again from the source;
// - relative expiries (older servers send EXPIRE, SETEX, SET EX...) become absolute times counted
//   from when the command arrived: the stream is live, so that is when the master ran it;
// - FUNCTION LOAD/DELETE/FLUSH/RESTORE go to every target master; FLUSHALL, FLUSHDB and SWAPDB of
//   the pool's database, and scripts sent as scripts, cannot be applied: the migration stops.
// MULTI and EXEC are dropped: a transaction's commands are applied per slot, in order, but not
// atomically across slots (a cluster cannot).
import {exists as knownCommand, getKeyIndexes} from '@ioredis/commands'
import {keySlot} from '../../hashing/index.js'

export type Translated =
  | {kind: 'none'}
  | {kind: 'getack'}
  | {kind: 'apply'; parts: Array<{slot: number; args: Buffer[]; key: Buffer}>}
  | {kind: 'recopy'; keys: Buffer[]}
  | {kind: 'everywhere'; args: Buffer[]}
  | {kind: 'stop'; reason: string}

/** The stream's state a command is read in: the database SELECTed last. */
export interface StreamState {
  db: number
}

const IGNORED = new Set(['ping', 'multi', 'exec', 'publish', 'spublish', 'script'])
const SPLIT_BY_KEY = new Set(['del', 'unlink', 'touch'])
const SPLIT_BY_PAIR = new Set(['mset', 'msetnx'])
const FUNCTION_EVERYWHERE = new Set(['load', 'delete', 'flush', 'restore'])
const SCRIPTS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro'])

const text = (arg: Buffer) => arg.toString('latin1')
const lower = (arg: Buffer) => text(arg).toLowerCase()

/**
 * Translates one command received at `arrivedAt` (ms) for a pool using database `db`; updates
 * `state` on SELECT.
 */
export function translateCommand(args: Buffer[], state: StreamState, db: number, arrivedAt: number): Translated {
  const name = lower(args[0])
  if (name === 'select') {
    state.db = Number(text(args[1]))
    return {kind: 'none'}
  }
  if (name === 'replconf') return args.length > 1 && lower(args[1]) === 'getack' ? {kind: 'getack'} : {kind: 'none'}
  if (IGNORED.has(name)) return {kind: 'none'}
  if (name === 'flushall') return {kind: 'stop', reason: 'FLUSHALL emptied it'}
  if (name === 'swapdb') {
    const [a, b] = [Number(text(args[1])), Number(text(args[2]))]
    return a === db || b === db ? {kind: 'stop', reason: `SWAPDB ${a} ${b} swapped the pool's database (${db}) with another`} : {kind: 'none'}
  }
  if (name === 'function') {
    const sub = lower(args[1] ?? Buffer.alloc(0))
    return FUNCTION_EVERYWHERE.has(sub) ? {kind: 'everywhere', args} : {kind: 'none'}
  }
  if (SCRIPTS.has(name)) return {kind: 'stop', reason: `it sent ${name.toUpperCase()} as a script, not as its effects (a server older than Redis 7 with script replication on)`}
  if (state.db !== db) {
    // MOVE and COPY ... DB from another database can bring a key into the pool's
    if ((name === 'move' && Number(text(args[2])) === db) || (name === 'copy' && copyTargetDb(args) === db)) {
      return {kind: 'recopy', keys: name === 'move' ? [args[1]] : [args[2]]}
    }
    return {kind: 'none'}
  }
  if (name === 'flushdb') return {kind: 'stop', reason: `FLUSHDB emptied the pool's database (${db})`}
  if (name === 'move') return {kind: 'recopy', keys: [args[1]]}
  if (name === 'copy' && copyTargetDb(args) !== undefined) return copyTargetDb(args) === db ? {kind: 'recopy', keys: [args[2]]} : {kind: 'none'}
  const absolute = withAbsoluteExpiry(name, args, arrivedAt)
  if (absolute.length === 0) return {kind: 'none'}
  const keys = keysOf(absolute)
  if (keys.length === 0) return {kind: 'stop', reason: `it sent ${name.toUpperCase()}, which twlab cannot place in the cluster`}
  const slot = keySlot(keys[0])
  if (keys.every((key) => keySlot(key) === slot)) return {kind: 'apply', parts: [{slot, args: absolute, key: keys[0]}]}
  if (SPLIT_BY_KEY.has(name)) return {kind: 'apply', parts: splitKeys(absolute[0], absolute.slice(1), 1)}
  if (SPLIT_BY_PAIR.has(name)) return {kind: 'apply', parts: splitKeys(Buffer.from('MSET'), absolute.slice(1), 2)}
  return {kind: 'recopy', keys}
}

/** The keys of a command: from the command table, or its first argument for a command it does not know. */
export function keysOf(args: Buffer[]): Buffer[] {
  const name = lower(args[0])
  if (!knownCommand(name)) return args.length > 1 ? [args[1]] : []
  return getKeyIndexes(name, args.slice(1)).map((i) => args[i + 1])
}

function copyTargetDb(args: Buffer[]): number | undefined {
  for (let i = 3; i + 1 < args.length; i++) if (lower(args[i]) === 'db') return Number(text(args[i + 1]))
  return undefined
}

/** A command over several slots, one part per slot: `group` arguments per key (1: keys, 2: key value). */
function splitKeys(name: Buffer, rest: Buffer[], group: number): Array<{slot: number; args: Buffer[]; key: Buffer}> {
  const bySlot = new Map<number, Buffer[]>()
  for (let i = 0; i + group - 1 < rest.length; i += group) {
    const slot = keySlot(rest[i])
    let list = bySlot.get(slot)
    if (!list) bySlot.set(slot, (list = [name]))
    for (let j = 0; j < group; j++) list.push(rest[i + j])
  }
  return [...bySlot].map(([slot, args]) => ({slot, args, key: args[1]}))
}

const arg = (value: string | number) => Buffer.from(String(value))

/** The command with any relative expiry turned into an absolute one, counted from `now`. */
export function withAbsoluteExpiry(name: string, args: Buffer[], now: number): Buffer[] {
  switch (name) {
    case 'expire': return [arg('PEXPIREAT'), args[1], arg(now + Number(text(args[2])) * 1000), ...args.slice(3)]
    case 'pexpire': return [arg('PEXPIREAT'), args[1], arg(now + Number(text(args[2]))), ...args.slice(3)]
    case 'expireat': return [arg('PEXPIREAT'), args[1], arg(Number(text(args[2])) * 1000), ...args.slice(3)]
    case 'setex': return [arg('SET'), args[1], args[3], arg('PXAT'), arg(now + Number(text(args[2])) * 1000)]
    case 'psetex': return [arg('SET'), args[1], args[3], arg('PXAT'), arg(now + Number(text(args[2])))]
    case 'set': return withAbsoluteOption(args, 3, now, false)
    case 'getex': return withAbsoluteOption(args, 2, now, true)
    case 'restore': {
      const ttl = Number(text(args[2]))
      if (ttl <= 0 || args.slice(4).some((a) => lower(a) === 'absttl')) return args
      return [...args.slice(0, 2), arg(now + ttl), ...args.slice(3), arg('ABSTTL')]
    }
    default: return args
  }
}

/** SET/GETEX options from `from` on: EX/PX/EXAT become PXAT (GETEX: a PEXPIREAT or PERSIST). */
function withAbsoluteOption(args: Buffer[], from: number, now: number, getex: boolean): Buffer[] {
  for (let i = from; i < args.length; i++) {
    const option = lower(args[i])
    let at: number | undefined
    if (option === 'ex') at = now + Number(text(args[i + 1])) * 1000
    else if (option === 'px') at = now + Number(text(args[i + 1]))
    else if (option === 'exat') at = Number(text(args[i + 1])) * 1000
    else if (option === 'pxat' && getex) at = Number(text(args[i + 1]))
    else if (option === 'persist' && getex) return [arg('PERSIST'), args[1]]
    if (at === undefined) continue
    if (getex) return [arg('PEXPIREAT'), args[1], arg(at)]
    return [...args.slice(0, i), arg('PXAT'), arg(at), ...args.slice(i + 2)]
  }
  return getex ? [] : args
}
