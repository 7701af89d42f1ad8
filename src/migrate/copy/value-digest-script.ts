// The value digest both sides of verify compute, in Lua: the source's page read (scripts.ts,
// source/cluster-scripts.ts) sends it instead of the payload, and the target's compare script
// checks its own keys against it (same_value).
// - A small payload (at most RAW_DIGEST_BYTES and its trailer) is its own digest: same_value
//   compares it whole, then without its trailer (RDB version and checksum: a server of another
//   version). Sets and hashes in hash-table encoding (RDB types 2 and 4) list their members in the
//   server's own hash order (seeded per process), so equal values on two servers dump
//   differently: same_value reads such a payload's members (and values) and looks them up among
//   the key's own (SMEMBERS, HGETALL), without a sort, and the source spends nothing on them.
// - A bigger payload is digested (SHA-1, hex) without its trailer; a hash-table set or hash from
//   its sorted members (and values), each length-prefixed. Over 1 MB such a value's digest is
//   CHUNKED_DIGEST, which no comparison takes as equal: the caller's closer check settles it
//   (verify/key-compare.ts), so hashing a payload whose order is the server's own would be wasted.
// Small payloads start with the RDB type byte (below '0'), so they never equal a SHA-1 in hex,
// nor CHUNKED_DIGEST. 1 KiB: most values of a mixed dataset travel whole (the copy sends every
// payload anyway) and neither side spends a SHA-1 on them; only bigger ones are hashed to spare
// the wire.
export const RAW_DIGEST_BYTES = 1024

// Shorthands every digest step below uses, looked up once per script.
const DIGEST_LOCALS = `
local byte, sub, pack = string.byte, string.sub, struct.pack
local sha1hex, sort, concat = redis.sha1hex, table.sort, table.concat
`
/** The digest of a big hash-table set or hash: "compare me step by step", never a match by itself. */
export const CHUNKED_DIGEST = 'c'
export const VALUE_DIGEST = `
${DIGEST_LOCALS}
local function value_digest(key, payload)
  local kind = byte(payload, 1)
  -- a small payload whole (same_value leaves its trailer out when the server versions differ,
  -- and reads a hash-table set's or hash's members out of it)
  if #payload <= ${RAW_DIGEST_BYTES + 10} then return payload end
  if kind ~= 2 and kind ~= 4 then
    -- without the payload's last 10 bytes (RDB version, CRC): equal encodings from two server versions match
    return sha1hex(sub(payload, 1, -11))
  end
  if #payload > 1048576 then return '${CHUNKED_DIGEST}' end
  local items
  if kind == 2 then
    items = redis.call('SMEMBERS', key)
    sort(items)
  else
    local flat = redis.call('HGETALL', key)
    local fields, values = {}, {}
    for i = 1, #flat, 2 do
      fields[#fields + 1] = flat[i]
      values[flat[i]] = flat[i + 1]
    end
    sort(fields)
    items = {}
    for i, field in ipairs(fields) do
      items[2 * i - 1] = field
      items[2 * i] = values[field]
    end
  end
  local parts, n = {string.char(kind)}, 1
  for i = 1, #items do
    parts[n + 1] = pack('>I4', #items[i])
    parts[n + 2] = items[i]
    n = n + 2
  end
  return sha1hex(concat(parts))
end

-- An RDB length at pos (6-bit, 14-bit or 32-bit) and the position after it; nil for an encoded
-- string's marker (integer or LZF: kind, pos returned instead) or a 64-bit length.
local function rdb_length(payload, pos)
  local b = byte(payload, pos)
  local kind = (b - b % 64) / 64
  if kind == 0 then return b % 64, pos + 1 end
  if kind == 1 then return (b % 64) * 256 + byte(payload, pos + 1), pos + 2 end
  if b == 128 then return struct.unpack('>I4', payload, pos + 1) end
  return nil, b
end

-- One RDB string of a payload at pos: its bytes (an integer-encoded one as its decimal text) and
-- the position after it; nil for an LZF-compressed one (left to the caller's closer check).
local function rdb_string(payload, pos)
  local n, after = rdb_length(payload, pos)
  if n then return sub(payload, after, after + n - 1), after + n end
  if after == 192 then
    local v = byte(payload, pos + 1)
    return tostring(v >= 128 and v - 256 or v), pos + 2
  elseif after == 193 then
    local v, at = struct.unpack('<i2', payload, pos + 1)
    return tostring(v), at
  elseif after == 194 then
    local v, at = struct.unpack('<i4', payload, pos + 1)
    return tostring(v), at
  end
  return nil
end

-- Whether the key here holds the members (and values) of a small hash-table set (RDB type 2) or
-- hash (4) payload from a source: its own are read (SMEMBERS, HGETALL: any encoding) and the
-- payload's looked up among them, no sort on either side.
local function same_members(key, kind, payload)
  local count, pos = rdb_length(payload, 2)
  if not count then return false end
  if kind == 2 then
    local have = redis.pcall('SMEMBERS', key)
    if have.err or #have ~= count then return false end
    local set = {}
    for i = 1, #have do set[have[i]] = true end
    for i = 1, count do
      local member
      member, pos = rdb_string(payload, pos)
      if not member or not set[member] then return false end
    end
    return true
  end
  local flat = redis.pcall('HGETALL', key)
  if flat.err or #flat ~= 2 * count then return false end
  local map = {}
  for i = 1, #flat, 2 do map[flat[i]] = flat[i + 1] end
  for i = 1, count do
    local field, value
    field, pos = rdb_string(payload, pos)
    if not field then return false end
    value, pos = rdb_string(payload, pos)
    if not value or map[field] ~= value then return false end
  end
  return true
end

-- Whether a payload here holds the value a source digested: the same digest, or the same small
-- payload but for its trailer (a server of another version).
local function same_value(key, payload, digest)
  if payload == digest then return true end
  local kind = byte(digest, 1)
  if (kind == 2 or kind == 4) and #digest <= ${RAW_DIGEST_BYTES + 10} then return same_members(key, kind, digest) end
  local mine = value_digest(key, payload)
  if mine == digest then return true end
  if kind >= 48 or kind == 2 or kind == 4 or byte(mine, 1) >= 48 then return false end
  return #mine > 10 and #digest > 10 and sub(mine, 1, -11) == sub(digest, 1, -11)
end
`
