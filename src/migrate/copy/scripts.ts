// Lua scripts that do per-key work for a whole batch in one command. Most of a copy's cost on
// the client is the per-command overhead of building, sending and parsing a command; one script
// call per batch (per node) replaces one command per key. Each script is registered once per
// connection (ioredis defineCommand: EVALSHA, falling back to EVAL when the server lacks it).
//
// In a cluster, `allow-cross-slot-keys` (Redis 7) lets a script touch keys of different slots as
// long as this node serves them all; a key whose slot is not (or no longer) here fails alone
// inside redis.pcall, and the caller retries that key through the cluster client.
import type {Redis} from 'ioredis'
import {DIGEST_PAYLOAD, VALUE_DIGEST} from './value-digest-script.js'

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

// Appends one record (record-pack.ts: key length, payload length (u32 big-endian), expiry length
// (u8), then the key, the expiry digits and the payload) to `parts`; a nil payload is a key gone.
// Returns the new count of pieces. Shared by every script that reads records off a source.
export const PACK_RECORD = `
local function pack_record(parts, n, key, payload, at)
  if not payload then
    parts[n + 1] = struct.pack('>I4I4B', #key, ${0xffffffff}, 0)
    parts[n + 2] = key
    return n + 2
  end
  if at < 0 then at = 0 end
  local expiry = string.format('%d', at)
  parts[n + 1] = struct.pack('>I4I4B', #key, #payload, #expiry)
  parts[n + 2] = key
  parts[n + 3] = expiry
  parts[n + 4] = payload
  return n + 4
end
`

// One SCAN page read whole on a source: the next cursor, and one packed string of records
// (record-pack.ts) holding each key, its absolute expiry and its DUMP payload (or, for verify,
// the value digest above). One command per page, one reply string to read, and the keys never
// travel to us and back. Servers without PEXPIRETIME (before Redis 7) get PTTL added to the
// server's own clock (TIME), so the expiry stays the source's own.
const SCAN_READ = (expiry: 'PEXPIRETIME' | 'PTTL', value: 'payload' | 'digest') => `${expiry === 'PEXPIRETIME' ? '#!lua flags=no-writes' : ''}
${value === 'digest' ? VALUE_DIGEST : ''}
${PACK_RECORD}
local page = redis.call('SCAN', ARGV[1], 'COUNT', ARGV[2])
local keys = page[2]
-- Pieces go into one table joined once at the end: cheaper than joining each record first.
local parts = {}
local n = 0
${expiry === 'PTTL' ? "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)" : ''}
for i = 1, #keys do
  local key = keys[i]
  local payload = redis.call('DUMP', key)
  local at = 0
  if payload then
    ${expiry === 'PEXPIRETIME' ? "at = redis.call('PEXPIRETIME', key)" : "at = redis.call('PTTL', key)\n    if at >= 0 then at = now + at end"}
    ${value === 'digest' ? DIGEST_PAYLOAD : ''}
  end
  n = pack_record(parts, n, key, payload, at)
end
return {page[1], table.concat(parts)}`

// The records of a packed batch (record-pack.ts: key length, payload length (u32 big-endian),
// expiry length (u8), then the key, the expiry digits and the payload), in order:
// `for n, key, expiry, payload in records(blob) do ... end`, n counting from 1.
const RECORDS = `
local function records(blob)
  local pos, n = 1, 0
  return function()
    if pos > #blob then return nil end
    local klen, plen, elen, at = struct.unpack('>I4I4B', blob, pos)
    local key = string.sub(blob, at, at + klen - 1)
    at = at + klen
    local expiry = string.sub(blob, at, at + elen - 1)
    at = at + elen
    pos = at + plen
    n = n + 1
    return n, key, expiry, string.sub(blob, at, at + plen - 1)
  end
end`

// Verify on one cluster node: ARGV[1] the expiry tolerance (ms), ARGV[2] packed records as the
// source's verify read wrote them (record-pack.ts, with the value digest as payload), ARGV[3]
// '1' to read every key's expiry, '0' to read only those of keys the source gives one: the caller
// then knows the others have none by counting (verify/expiry-count.ts), which spares a call per key.
// Returns how many keys here have the expiry the source gives them (none counted for keys without
// one), then the records that do not plainly match, as record number (from 1) and why: 'missing',
// 'value' (not settled here: maybe only an encoding differs, or another type, or a big hash-table
// value, CHUNKED_DIGEST; the caller looks closer, value_difference in value-digest-script.ts),
// 'ttl', 'error' (not served here: slot moved), or this node's payload of a small hash-table set
// or hash that lists its members in another order (its first byte the RDB type, below any
// letter): the caller compares the members. Everything not listed matches.
const COMPARE_PACKED = `#!lua flags=allow-cross-slot-keys,no-writes
${VALUE_DIGEST}
local tolerance = tonumber(ARGV[1])
local every_expiry = ARGV[3] ~= '0'
local blob = ARGV[2]
local size, unpack, sub, byte, abs = #blob, struct.unpack, string.sub, string.byte, math.abs
local flagged = {0}
local pos, n = 1, 0
-- the records (RECORDS' layout, read inline: most keys cost no call beyond their own reads, and
-- an expiry of "0", the commonest, is not made into a string)
while pos <= size do
  local klen, plen, elen, at = unpack('>I4I4B', blob, pos)
  local key = sub(blob, at, at + klen - 1)
  at = at + klen
  local want = 0
  if elen ~= 1 or byte(blob, at) ~= 48 then want = tonumber(sub(blob, at, at + elen - 1)) end
  at = at + elen
  pos = at + plen
  n = n + 1
  local why, theirs = value_difference(key, sub(blob, at, pos - 1))
  -- a key flagged for its value is still counted with its expiry (or the count would send its
  -- master to the slow check); the caller compares its expiry again anyway
  if (not why or why == 'value') and (want > 0 or (every_expiry and not why)) then
    local have = redis.call('PEXPIRETIME', key)
    if have < 0 then have = 0 end
    if (want > 0) ~= (have > 0) or abs(want - have) > tolerance then
      why = why or 'ttl'
    elseif want > 0 then
      flagged[1] = flagged[1] + 1
    end
  end
  if why or theirs then
    flagged[#flagged + 1] = n
    flagged[#flagged + 1] = why or theirs
  end
end
return flagged`

// The bulk write on one cluster node: ARGV[1] the replace flag, ARGV[2] packed records
// (record-pack.ts: key length, payload length, expiry length, then key, expiry digits, payload),
// byte for byte as the source's read script wrote them. One argument instead of three per key
// keeps our side to a buffer copy per batch.
// Returns only the failures, as record number (from 1) and error text (BUSYKEY, a key whose slot
// is not served here...); every record not listed was restored.
const RESTORE_PACKED = `#!lua flags=allow-cross-slot-keys
${RECORDS}
local replace = ARGV[1] == '1'
local failed = {}
for n, key, expiry, payload in records(ARGV[2]) do
  local reply
  if replace then
    reply = redis.pcall('RESTORE', key, expiry, payload, 'ABSTTL', 'REPLACE')
  else
    reply = redis.pcall('RESTORE', key, expiry, payload, 'ABSTTL')
  end
  if type(reply) == 'table' and reply.err then
    failed[#failed + 1] = n
    failed[#failed + 1] = reply.err
  end
end
return failed`

// EXISTS for packed keys (record-pack.ts: length then bytes per key): a string of '1'/'0', one
// character per key.
const EXISTS_PACKED = (flags: string) => `${flags}
local blob = ARGV[1]
local size = #blob
local pos = 1
local out = {}
while pos <= size do
  local klen, at = struct.unpack('>I4', blob, pos)
  out[#out + 1] = redis.call('EXISTS', string.sub(blob, at, at + klen - 1))
  pos = at + klen
end
return table.concat(out)`

// One SCAN page of a cluster node: the next cursor, then the page's keys that have an expiry
// (verify's expiry count, verify/expiry-count.ts, when a master's count is not what was found).
const SCAN_VOLATILE = `#!lua flags=allow-cross-slot-keys,no-writes
local page = redis.call('SCAN', ARGV[1], 'COUNT', ARGV[2])
local out = {page[1]}
for _, key in ipairs(page[2]) do
  if redis.call('PEXPIRETIME', key) > 0 then out[#out + 1] = key end
end
return out`

const SCRIPTS = {
  twlabReadKeys7: READ('PEXPIRETIME', '#!lua flags=no-writes'),
  twlabReadKeysOld: READ('PTTL', ''),
  twlabRestore: RESTORE,
  twlabClusterRead: CLUSTER_READ,
  twlabScanRead7: SCAN_READ('PEXPIRETIME', 'payload'),
  twlabScanReadOld: SCAN_READ('PTTL', 'payload'),
  twlabScanDigest7: SCAN_READ('PEXPIRETIME', 'digest'),
  twlabScanDigestOld: SCAN_READ('PTTL', 'digest'),
  twlabComparePacked: COMPARE_PACKED,
  twlabScanVolatile: SCAN_VOLATILE,
  twlabRestorePacked: RESTORE_PACKED,
  twlabExistsPacked7: EXISTS_PACKED('#!lua flags=no-writes'),
  twlabExistsPackedOld: EXISTS_PACKED(''),
} as const

export type ScriptName = keyof typeof SCRIPTS

export function script(client: Redis, name: ScriptName): ScriptCall {
  const commands = client as unknown as Record<string, ScriptCall | undefined>
  if (!commands[`${name}Buffer`]) client.defineCommand(name, {lua: SCRIPTS[name]})
  return (commands[`${name}Buffer`] as ScriptCall).bind(client)
}
