// Big keys are rebuilt on the target under a temporary name and RENAMEd over the real key in one
// step, so readers never see a half-copied value. RENAME in a cluster needs both names in the
// same slot. The temporary name is derived so that its hash part equals the key's:
// - a key with a hash tag ({tag}) keeps it when we append to it;
// - a key without one hashes whole, so wrapping it as {key} gives the same hash part, as long
//   as the key holds no '}' that would end the tag early (then there is no such name, and the
//   caller copies the key in one piece instead).
const SUFFIX = Buffer.from(':twlab-migrate-tmp')

function hashTagBounds(key: Buffer): [number, number] | undefined {
  const start = key.indexOf(0x7b)
  if (start < 0) return undefined
  const end = key.indexOf(0x7d, start + 1)
  if (end < 0 || end === start + 1) return undefined
  return [start, end]
}

export function sameSlotTempKey(key: Buffer): Buffer | undefined {
  if (hashTagBounds(key)) return Buffer.concat([key, SUFFIX])
  if (key.length === 0 || key.includes(0x7d)) return undefined
  return Buffer.concat([Buffer.from('{'), key, Buffer.from('}'), SUFFIX])
}
