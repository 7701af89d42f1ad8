// The reads of a source that is a cluster master. They do what the standalone scripts do
// (copy/scripts.ts: a SCAN page read whole, known keys read, EXISTS) with two differences that a
// cluster needs: every key access is a pcall, so a key this node does not serve (its slot is
// being migrated away and the key is gone, or imported and the call came without ASKING) is left
// out instead of failing the whole page; and every call is sent right after ASKING, so a node
// importing a slot answers for the keys it already holds. Cluster scripts need Redis 7 (script
// flags, PEXPIRETIME): sources.ts refuses older cluster nodes.
import type {Redis} from 'ioredis'
import {PACK_RECORD, type ScriptReply} from '../copy/scripts.js'
import {DIGEST_PAYLOAD, VALUE_DIGEST} from '../copy/value-digest-script.js'

const FLAGS = '#!lua flags=no-writes,allow-cross-slot-keys'

// A SCAN page packed as record-pack.ts lays records out; a key not served here is left out.
const SCAN_READ = (value: 'payload' | 'digest') => `${FLAGS}
${value === 'digest' ? VALUE_DIGEST : ''}
${PACK_RECORD}
local page = redis.call('SCAN', ARGV[1], 'COUNT', ARGV[2])
local keys = page[2]
local parts = {}
local n = 0
for i = 1, #keys do
  local key = keys[i]
  local payload = redis.pcall('DUMP', key)
  if type(payload) == 'table' then
    -- not served here: the open-slot pass (cluster-slots.ts) reads it where it lives
  else
    local at = 0
    if payload then
      at = redis.call('PEXPIRETIME', key)
      ${value === 'digest' ? DIGEST_PAYLOAD : ''}
    end
    n = pack_record(parts, n, key, payload, at)
  end
end
return {page[1], table.concat(parts)}`

// DUMP and PEXPIRETIME per key; a key not served here reads as absent (nil, -2).
const READ_KEYS = `${FLAGS}
local out = {}
for i = 1, #ARGV do
  local payload = redis.pcall('DUMP', ARGV[i])
  if type(payload) == 'table' or not payload then
    out[2 * i - 1] = false
    out[2 * i] = -2
  else
    out[2 * i - 1] = payload
    out[2 * i] = redis.call('PEXPIRETIME', ARGV[i])
  end
end
return out`

// EXISTS for packed keys: '1'/'0' per key; a key not served here is '0'.
const EXISTS_PACKED = `${FLAGS}
local blob = ARGV[1]
local pos = 1
local out = {}
while pos <= #blob do
  local klen, at = struct.unpack('>I4', blob, pos)
  local found = redis.pcall('EXISTS', string.sub(blob, at, at + klen - 1))
  if type(found) == 'table' then found = 0 end
  out[#out + 1] = found
  pos = at + klen
end
return table.concat(out)`

const SCRIPTS = {
  twlabClusterScanRead: SCAN_READ('payload'),
  twlabClusterScanDigest: SCAN_READ('digest'),
  twlabClusterReadKeys: READ_KEYS,
  twlabClusterExists: EXISTS_PACKED,
} as const

export type ClusterScriptName = keyof typeof SCRIPTS
type ScriptCall = (numKeys: number, ...args: Array<Buffer | string | number>) => Promise<ScriptReply>

/** Runs a cluster script on `client`, right after ASKING (both written in one go, in order). */
export function clusterScript(client: Redis, name: ClusterScriptName, ...args: Array<Buffer | string | number>): Promise<ScriptReply> {
  const commands = client as unknown as Record<string, ScriptCall | undefined>
  if (!commands[`${name}Buffer`]) client.defineCommand(name, {lua: SCRIPTS[name]})
  client.call('ASKING').catch(() => {}) // its failure shows in the script call that follows
  return (commands[`${name}Buffer`] as ScriptCall).call(client, 0, ...args)
}
