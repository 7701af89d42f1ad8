// GETKEYSINSLOT + MIGRATE run by the source itself, in a short Lua script, instead of key names
// travelling source -> twlab -> source for every batch. The protocol is unchanged (the same
// MIGRATE ... KEYS of keys listed by GETKEYSINSLOT, one slot per MIGRATE, each MIGRATE atomic);
// what goes away is a client round trip per batch, and twlab parsing and re-sending every key
// name (CPU that, on a shared machine, the two nodes doing the MIGRATE could have used).
//
// One script call moves at most `budget` keys over one or more slots, so the source is never
// blocked longer than by one MIGRATE of a batch. A MIGRATE error (BUSYKEY, IOERR) stops the
// script and is returned for its slot; the caller settles that slot on the client path, which
// knows how to compare values on BUSYKEY.
import type {Redis} from 'ioredis'

/** Lua's unpack() is limited by its C stack (8000 values): one MIGRATE carries fewer keys than that. */
const MAX_KEYS_PER_MIGRATE = 4000

/**
 * ARGV: budget, then the MIGRATE arguments before KEYS (host, port, "", 0, timeout, [REPLACE],
 * [AUTH ...]) as a count followed by the arguments, then the slots. Returns one entry per slot
 * it reached: {slot, keys moved, "done" | "more" | error}. "done" means the slot is empty: the
 * last GETKEYSINSLOT returned fewer keys than asked, or COUNTKEYSINSLOT found none, after an
 * atomic MIGRATE inside the same script, so nothing can have arrived since.
 */
const MOVE_SLOTS = `#!lua flags=allow-cross-slot-keys,allow-oom
local budget = tonumber(ARGV[1])
local nargs = tonumber(ARGV[2])
local head = {}
for i = 1, nargs do head[i] = ARGV[2 + i] end
head[#head + 1] = 'KEYS'
local out = {}
for i = 3 + nargs, #ARGV do
  if budget <= 0 then break end
  local slot = tonumber(ARGV[i])
  local moved, state = 0, 'more'
  while budget > 0 do
    local ask = math.min(budget, ${MAX_KEYS_PER_MIGRATE})
    local keys = redis.call('CLUSTER', 'GETKEYSINSLOT', slot, ask)
    if #keys == 0 then state = 'done' break end
    local args = {unpack(head)}
    for k = 1, #keys do args[#args + 1] = keys[k] end
    local reply = redis.pcall('MIGRATE', unpack(args))
    if type(reply) == 'table' and reply.err then state = reply.err break end
    moved = moved + #keys
    budget = budget - #keys
    if #keys < ask then state = 'done' break end
  end
  -- the budget ran out on the slot's last key: say so now (COUNTKEYSINSLOT is O(1)) rather than
  -- in one more script call, a round trip later
  if state == 'more' and redis.call('CLUSTER', 'COUNTKEYSINSLOT', slot) == 0 then state = 'done' end
  out[#out + 1] = {slot, moved, state}
  if state ~= 'done' and state ~= 'more' then break end
end
return out
`

export interface SlotOutcome {
  slot: number
  keys: number
  /** emptied; or not yet (budget spent); or the MIGRATE error that stopped it */
  state: 'done' | 'more' | {error: string}
}

/** The script as one pipelined EVAL per group of slots; the reply of each group, or the error of the whole call. */
export function queueMoveSlots(pipeline: ReturnType<Redis['pipeline']>, budget: number, migrateHead: Array<string | number>, slots: number[]): void {
  pipeline.call('EVAL', MOVE_SLOTS, 0, budget, migrateHead.length, ...migrateHead, ...slots)
}

/** Reads one reply of queueMoveSlots. */
export function parseMoveSlots(reply: unknown): SlotOutcome[] {
  return (reply as Array<[number, number, string]>).map(([slot, keys, state]) => ({
    slot: Number(slot),
    keys: Number(keys),
    state: state === 'done' || state === 'more' ? state : {error: String(state)},
  }))
}

/**
 * Packs slots into script calls of about `budget` keys each, by how many keys each is expected to
 * hold (unknown: a full budget), so a call covers many small slots or part of one large one.
 */
export function groupSlots(slots: number[], expected: (slot: number) => number | undefined, budget: number): number[][] {
  const groups: number[][] = []
  let current: number[] = []
  let sum = 0
  for (const slot of slots) {
    const keys = Math.min(budget, Math.max(1, expected(slot) ?? budget))
    if (current.length > 0 && sum + keys > budget) {
      groups.push(current)
      current = []
      sum = 0
    }
    current.push(slot)
    sum += keys
  }
  if (current.length > 0) groups.push(current)
  return groups
}
