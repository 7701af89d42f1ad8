// Key placement speed: keys per second on one core for every hash function under ketama and
// modula (keys as byte ranges of one buffer, as the proxy sees them, and as JS strings), and
// for Redis Cluster key slots. Printed beside the speed of nutcracker's own C hash functions,
// measured in the same run when a C compiler is present. Figures only; nothing passes or fails.
import {buildKetamaContinuum, HASH_NAMES, KeyPlacer, keySlotOfRange, type Distribution, type HashName} from '../../src/hashing/index.js'
import {loadavg} from 'node:os'
import {nutcrackerHashRates, unavailableReason} from '../hashing/oracle/nutcracker-oracle.js'

const KEY_COUNT = 200_000
const ROUNDS = 5
const servers = Array.from({length: 8}, (_, i) => ({name: `10.0.0.${i + 1}:6379`, weight: 1 + (i % 3)}))

// Keys like "user:123456:profile", packed into one buffer with their offsets.
const keyStrings = Array.from({length: KEY_COUNT}, (_, i) => `user:${(i * 2654435761) % 100_000_000}:profile`)
const packed = Buffer.from(keyStrings.join(''))
const offsets = new Uint32Array(KEY_COUNT + 1)
for (let i = 0, at = 0; i < KEY_COUNT; i++) {
  offsets[i] = at
  at += Buffer.byteLength(keyStrings[i]!)
  offsets[i + 1] = at
}

/** Best of ROUNDS runs over all keys, in keys per second. */
function rate(place: () => number): number {
  let best = 0
  let sink = 0
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint()
    sink += place()
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    best = Math.max(best, KEY_COUNT / seconds)
  }
  if (sink === -1) console.log('') // keeps the work observable to the optimiser
  return best
}

function placeBytes(placer: KeyPlacer): number {
  let sum = 0
  for (let i = 0; i < KEY_COUNT; i++) sum += placer.serverIndex(packed, offsets[i]!, offsets[i + 1]!)
  return sum
}

function placeStrings(placer: KeyPlacer): number {
  let sum = 0
  for (let i = 0; i < KEY_COUNT; i++) sum += placer.serverIndex(keyStrings[i]!)
  return sum
}

const format = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`
const reason = unavailableReason()
const reference = reason === undefined ? nutcrackerHashRates(keyStrings.slice(0, 50_000)) : undefined

console.log(`${KEY_COUNT.toLocaleString('en-US')} keys ("user:N:profile"), 8 servers with weights 1-3, best of ${ROUNDS}, one core`)
// Figures scale with what else the machine runs; the load average says how busy it was.
console.log(`load average at start: ${loadavg().map((n) => n.toFixed(1)).join(' ')}`)
console.log(['hash', 'ketama bytes', 'ketama strings', 'modula bytes', 'modula strings', 'nutcracker C hash only'].map((h, i) => h.padEnd(i === 0 ? 14 : 16)).join(''))
for (const hash of HASH_NAMES) {
  const cells: string[] = [hash.padEnd(14)]
  for (const distribution of ['ketama', 'modula'] as Distribution[]) {
    const placer = new KeyPlacer({hash: hash as HashName, distribution, servers})
    cells.push(format(rate(() => placeBytes(placer))).padEnd(16), format(rate(() => placeStrings(placer))).padEnd(16))
  }
  cells.push(reference ? format(reference[hash]!) : `n/a (${reason})`)
  console.log(cells.join(''))
}
const random = new KeyPlacer({hash: 'fnv1a_64', distribution: 'random', servers})
console.log(`${'random'.padEnd(14)}${format(rate(() => placeBytes(random))).padEnd(16)}(key not hashed)`)
console.log(`${'cluster slot'.padEnd(14)}${format(rate(() => {
  let sum = 0
  for (let i = 0; i < KEY_COUNT; i++) sum += keySlotOfRange(packed, offsets[i]!, offsets[i + 1]!)
  return sum
})).padEnd(16)}(CRC16/XMODEM, {tag} rule)`)

// Building the ring happens at start-up and on every ejection or return of a server.
for (const count of [4, 100, 1000]) {
  const ring = Array.from({length: count}, (_, i) => ({name: `10.1.${i >> 8}.${i & 255}:6379`, weight: 1}))
  const started = process.hrtime.bigint()
  const {values} = buildKetamaContinuum(ring)
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  console.log(`ketama continuum of ${count} servers: ${values.length} points built in ${ms.toFixed(1)} ms`)
}
