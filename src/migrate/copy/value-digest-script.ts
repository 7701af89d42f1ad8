// The value digest both sides of verify compute, in Lua: the source's page read (scripts.ts,
// source/cluster-scripts.ts) sends it instead of the payload, and the target's compare script
// checks its own keys against it (value_difference), reading each key as cheaply as the digest
// allows.
// - A small payload (at most RAW_DIGEST_BYTES and its trailer) is its own digest. A string in it
//   that is not LZF-compressed is checked against GET, without serializing the value here. Any
//   other is compared with the key's DUMP here, whole, then without its trailer (RDB version and
//   checksum: a server of another version).
// - A bigger payload is digested (SHA-1, hex) without its trailer, to spare the wire.
// - Sets and hashes in hash-table encoding (RDB types 2 and 4) list their members in the server's
//   own hash order (seeded per process), so equal values on two servers dump differently: such a
//   payload is its own digest up to WHOLE_MEMBERS_BYTES, and the target sends its own back when it
//   differs; the caller compares the members of both (protocol/rdb/member-digest.ts) for a
//   fraction of what sorting them on each server costs. A bigger one is CHUNKED_DIGEST: the target
//   only checks the key is there, and the caller's closer check settles it
//   (verify/key-compare.ts).
// Payloads start with the RDB type byte (below '0'), so they never equal a SHA-1 in hex, nor
// CHUNKED_DIGEST. 1 KiB: most values of a mixed dataset travel whole (the copy sends every
// payload anyway) and neither side spends a SHA-1 on them.
export const RAW_DIGEST_BYTES = 1024
/**
 * Hash-table sets and hashes up to this payload size travel whole (their members are compared
 * by the caller); a page of a verify read holds no more than the copy's page of the same keys.
 */
export const WHOLE_MEMBERS_BYTES = 8 * 1024 * 1024

// Shorthands every digest step below uses, looked up once per script.
const DIGEST_LOCALS = `
local byte, sub, sha1hex = string.byte, string.sub, redis.sha1hex
`
/** The digest of a huge hash-table set or hash: "compare me step by step", never a match by itself. */
export const CHUNKED_DIGEST = 'c'
/**
 * The step of a verify read that turns `payload` into its digest (VALUE_DIGEST's value_digest):
 * a small payload is its own, so it costs no call.
 */
export const DIGEST_PAYLOAD = `if #payload > ${RAW_DIGEST_BYTES + 10} then payload = value_digest(payload) end`

export const VALUE_DIGEST = `
${DIGEST_LOCALS}
local function value_digest(payload)
  -- a small payload whole (same_value leaves its trailer out when the server versions differ)
  if #payload <= ${RAW_DIGEST_BYTES + 10} then return payload end
  local kind = byte(payload, 1)
  if kind == 2 or kind == 4 then
    if #payload > ${WHOLE_MEMBERS_BYTES} then return '${CHUNKED_DIGEST}' end
    return payload
  end
  -- without the payload's last 10 bytes (RDB version, CRC): equal encodings from two server versions match
  return sha1hex(sub(payload, 1, -11))
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

-- Whether a payload here holds the value a source digested (not a hash-table set or hash): the
-- same digest, or the same small payload but for its trailer (a server of another version).
local function same_value(payload, digest)
  if payload == digest then return true end
  local mine = value_digest(payload)
  if mine == digest then return true end
  if byte(digest, 1) >= 48 or byte(mine, 1) >= 48 then return false end
  return #mine > 10 and #digest > 10 and sub(mine, 1, -11) == sub(digest, 1, -11)
end

-- Why the key here does not plainly hold the value a source digested: nil when it does,
-- 'missing', 'value' (maybe only its encoding, or a value too big to settle here: the caller
-- looks closer) or 'error' (not served here). Cheaper reads than a DUMP where the digest allows:
-- a small string that is not LZF-compressed against GET, a huge hash-table set or hash only for
-- presence. A hash-table set or hash whose payload here differs (its members listed in this
-- server's own order) comes back as the second result, nil first: its members are compared by
-- the caller.
local function value_difference(key, digest)
  local kind = byte(digest, 1)
  -- 195 (0xc3) marks an LZF-compressed string: compared by its DUMP below
  if kind == 0 and byte(digest, 2) ~= 195 and #digest <= ${RAW_DIGEST_BYTES + 10} then
    local want = rdb_string(digest, 2)
    if want then
      local have = redis.pcall('GET', key)
      if type(have) == 'table' then
        if sub(have.err, 1, 9) == 'WRONGTYPE' then return 'value' end
        return 'error'
      end
      if not have then return 'missing' end
      if have ~= want then return 'value' end
      return nil
    end
  elseif digest == '${CHUNKED_DIGEST}' then
    local found = redis.pcall('EXISTS', key)
    if type(found) == 'table' then return 'error' end
    if found == 0 then return 'missing' end
    return 'value'
  end
  local payload = redis.pcall('DUMP', key)
  if type(payload) == 'table' then return 'error' end
  if not payload then return 'missing' end
  if payload == digest then return nil end
  if kind == 2 or kind == 4 then
    if byte(payload, 1) == kind then return nil, payload end
    return 'value'
  end
  if not same_value(payload, digest) then return 'value' end
  return nil
end
`
