// Lua scripts that do per-key work for a whole batch in one command. Most of a copy's cost on
// the client is the per-command overhead of building, sending and parsing a command; one script
// call per batch (per node) replaces one command per key. Each script is registered once per
// connection (ioredis defineCommand: EVALSHA, falling back to EVAL when the server lacks it).
//
// In a cluster, `allow-cross-slot-keys` (Redis 7) lets a script touch keys of different slots as
// long as this node serves them all; a key whose slot is not (or no longer) here fails alone
// inside redis.pcall, and the caller retries that key through the cluster client.
import type {Redis} from 'ioredis'

export type ScriptReply = Array<Buffer | number | null | Array<Buffer | number | null>>
type ScriptCall = (numKeys: number, ...args: Array<Buffer | string | number>) => Promise<ScriptReply>

const READ = (expiry: string, flags: string) => `${flags}
local out = {}
local n = #ARGV
for i = 1, n do
  out[2 * i - 1] = redis.call('DUMP', ARGV[i])
  out[2 * i] = redis.call('${expiry}', ARGV[i])
end
return out`

const EXISTS = (flags: string) => `${flags}
local out = {}
for i = 1, #ARGV do out[i] = redis.call('EXISTS', ARGV[i]) end
return out`

// ARGV: replace flag, then key, absolute expiry, payload for each key. Returns 1 per restored
// key, or the error text (BUSYKEY, a non-local key...).
const RESTORE = `#!lua flags=allow-cross-slot-keys
local replace = ARGV[1] == '1'
local out = {}
local n = (#ARGV - 1) / 3
for i = 0, n - 1 do
  local key, ttl, payload = ARGV[2 + 3 * i], ARGV[3 + 3 * i], ARGV[4 + 3 * i]
  local reply
  if replace then
    reply = redis.pcall('RESTORE', key, ttl, payload, 'ABSTTL', 'REPLACE')
  else
    reply = redis.pcall('RESTORE', key, ttl, payload, 'ABSTTL')
  end
  if type(reply) == 'table' and reply.err then out[i + 1] = reply.err else out[i + 1] = 1 end
end
return out`

// Reads on a cluster node: DUMP and PEXPIRETIME per key, or the error text when the key is not
// served here (then both entries carry it).
const CLUSTER_READ = `#!lua flags=allow-cross-slot-keys,no-writes
local out = {}
for i = 1, #ARGV do
  local payload = redis.pcall('DUMP', ARGV[i])
  if type(payload) == 'table' and payload.err then
    out[2 * i - 1] = payload.err
    out[2 * i] = payload.err
  else
    out[2 * i - 1] = payload
    out[2 * i] = redis.call('PEXPIRETIME', ARGV[i])
  end
end
return out`

const SCRIPTS = {
  twlabReadKeys7: READ('PEXPIRETIME', '#!lua flags=no-writes'),
  twlabReadKeysOld: READ('PTTL', ''),
  twlabExists7: EXISTS('#!lua flags=no-writes'),
  twlabExistsOld: EXISTS(''),
  twlabRestore: RESTORE,
  twlabClusterRead: CLUSTER_READ,
} as const

export type ScriptName = keyof typeof SCRIPTS

export function script(client: Redis, name: ScriptName): ScriptCall {
  const commands = client as unknown as Record<string, ScriptCall | undefined>
  if (!commands[`${name}Buffer`]) client.defineCommand(name, {lua: SCRIPTS[name]})
  return (commands[`${name}Buffer`] as ScriptCall).bind(client)
}
