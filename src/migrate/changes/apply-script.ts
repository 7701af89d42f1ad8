// The script that applies a replication stream's commands on one target master (or, for one
// command, through the cluster client, routed by its slot's mark), and how its arguments are laid
// out. Each slot written carries its applied mark (applied-marks.ts), read and set in the same
// call as the writes, so a command is applied once however often it is sent.
import type {Cluster, Redis} from 'ioredis'
import {markKeyOfSlot, type SourceMarks} from './applied-marks.js'

/** a command with more arguments than this goes on its own (Lua's unpack has a stack limit) */
export const SCRIPT_ARGS_LIMIT = 4000

/** One command for one slot, with where it ends in the stream. */
export interface SlotCommand {
  args: Buffer[]
  slot: number
  endOffset: number
}

// ARGV[1], ARGV[2]: the source's field in the applied marks (applied-marks.ts) and its epoch;
// ARGV[3]: '1' to check the marks first; ARGV[4]: how many marks follow, then the marks of the
// slots written; then for each command its mark (index among them), its end offset in the stream,
// its argument count, its arguments. The marks are not declared as KEYS (a cluster refuses a call
// whose declared keys span slots): they are local keys, like the commands' own. KEYS[1], when
// given, only routes a one-command call through the cluster client to its slot's master.
// Checking, a command at or before its slot's mark (same epoch) is on the target already and is
// skipped: a call sent again after its reply was lost. (A round's first call needs no check: the
// applier knows what a resumed run's marks hold.) Once a command of a slot fails, the slot's later
// commands are held back (returned as failed, to be retried in order). Each slot's mark is set to
// the end offset of its last command applied, in the same script: atomic with the writes.
// Returns the failures only, as command number (from 1) and error text.
const APPLY = `#!lua flags=allow-cross-slot-keys
local field, epoch, check, marks = ARGV[1], ARGV[2], ARGV[3] == '1', tonumber(ARGV[4])
local function markOffset(key)
  local value = redis.pcall('HGET', key, field)
  if type(value) ~= 'string' then return -1 end
  local space = string.find(value, ' ', 1, true)
  if not space or string.sub(value, 1, space - 1) ~= epoch then return -1 end
  return tonumber(string.sub(value, space + 1)) or -1
end
local failed, held, last, upto = {}, {}, {}, {}
local i, n, c = 5 + marks, #ARGV, 0
while i <= n do
  local mark, ending, argc = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  c = c + 1
  if upto[mark] == nil then upto[mark] = check and markOffset(ARGV[4 + mark]) or -1 end
  if held[mark] then
    failed[#failed + 1] = c
    failed[#failed + 1] = 'held back after an earlier failure in its slot'
  elseif ending > upto[mark] then
    local reply = redis.pcall(unpack(ARGV, i + 3, i + 2 + argc))
    if type(reply) == 'table' and reply.err then
      held[mark] = true
      failed[#failed + 1] = c
      failed[#failed + 1] = reply.err
    else
      last[mark] = ARGV[i + 1]
    end
  end
  i = i + argc + 3
end
for mark, offset in pairs(last) do redis.pcall('HSET', ARGV[4 + mark], field, epoch .. ' ' .. offset) end
return failed`

export type ApplyCall = (numKeys: number, ...args: Array<Buffer | string>) => Promise<Array<number | Buffer>>

/** The apply script on one master, or on the cluster client (routed by KEYS[1], the mark of the command's slot). */
export function applyScript(client: Redis | Cluster): ApplyCall {
  const commands = client as unknown as Record<string, ApplyCall | undefined>
  if (!commands.twlabApplyStreamBuffer) client.defineCommand('twlabApplyStream', {lua: APPLY})
  return (commands.twlabApplyStreamBuffer as ApplyCall).bind(client)
}

/**
 * The apply script's arguments for `commands` (one mark per slot; `check`: skip what the marks
 * hold): with `routed`, one key, KEYS[1], the first command's mark.
 */
export function scriptArguments(commands: SlotCommand[], marks: SourceMarks, check: boolean, routed = false): {numKeys: number; args: Array<Buffer | string>} {
  const markOf = new Map<number, number>()
  const names: Buffer[] = []
  const calls: Array<Buffer | string> = []
  for (const {args, slot, endOffset} of commands) {
    let mark = markOf.get(slot)
    if (mark === undefined) {
      names.push(markKeyOfSlot(slot))
      markOf.set(slot, (mark = names.length))
    }
    calls.push(String(mark), String(endOffset), String(args.length))
    for (const arg of args) calls.push(arg)
  }
  const head = [marks.offsetField, marks.epoch, check ? '1' : '0', String(names.length), ...names]
  return routed ? {numKeys: 1, args: [names[0], ...head, ...calls]} : {numKeys: 0, args: [...head, ...calls]}
}
