// The ketama continuum exactly as nutcracker 0.5.0 builds it (ketama_update): each live server
// gets a number of points proportional to its weight, computed in single-precision float the way
// the C code does (Math.fround after every operation, which is what makes some pool sizes give
// 156 points per server instead of 160). Points come from md5("<name>-<n>"), four per digest.
// Points are sorted by value; equal values keep their insertion order (server index order), as
// glibc's merge-sort qsort does. A key goes to the first point >= its hash, wrapping to the first.
import {Buffer} from 'node:buffer'
import {md5Words} from './md5.js'

export interface WeightedServer {
  /** nutcracker's server name: the ketama hash input */
  name: string
  weight: number
}

export interface KetamaContinuum {
  /** point values, ascending */
  values: Uint32Array
  /** the server index (into the servers array) of each point */
  indexes: Uint32Array
}

const POINTS_PER_SERVER = 160
const POINTS_PER_HASH = 4
/** nutcracker formats "<name>-<n>" into a 273-byte buffer and hashes at most 272 bytes of it. */
const MAX_HOST_LENGTH = 272

/** How many points a server of `weight` gets among `liveCount` live servers of `totalWeight`. */
export function ketamaPointsPerServer(weight: number, totalWeight: number, liveCount: number): number {
  const f = Math.fround
  const percent = f(f(weight) / f(totalWeight))
  const quarter = f(f(f(percent * POINTS_PER_SERVER) / 4) * f(liveCount))
  // The C code adds 1e-10 in double precision, then rounds back to float for floorf().
  return Math.floor(f(quarter + 0.0000000001)) * 4
}

/** The continuum of the live servers (all of them when `live` is not given). */
export function buildKetamaContinuum(servers: readonly WeightedServer[], live?: readonly boolean[]): KetamaContinuum {
  const isLive = (index: number): boolean => live === undefined || live[index] === true
  let liveCount = 0
  let totalWeight = 0
  for (let i = 0; i < servers.length; i++) {
    if (!isLive(i)) continue
    liveCount++
    totalWeight = (totalWeight + servers[i]!.weight) >>> 0
  }
  const points = servers.map((server, i) => (isLive(i) ? ketamaPointsPerServer(server.weight, totalWeight, liveCount) : 0))
  const count = points.reduce((sum, n) => sum + n, 0)
  const rawValues = new Uint32Array(count)
  const rawIndexes = new Uint32Array(count)
  const digest = new Uint32Array(4)
  let at = 0
  for (let index = 0; index < servers.length; index++) {
    if (points[index] === 0) continue
    // "<name>-" once per server; only the decimal suffix changes from one hash to the next.
    const name = Buffer.from(servers[index]!.name, 'utf8')
    const host = Buffer.alloc(name.length + 12)
    name.copy(host)
    host[name.length] = 0x2d // '-'
    for (let n = 0; n < points[index]! / POINTS_PER_HASH; n++) {
      const length = name.length + 1 + host.write(String(n), name.length + 1, 'latin1')
      md5Words(host, 0, Math.min(length, MAX_HOST_LENGTH), digest)
      for (let word = 0; word < POINTS_PER_HASH; word++, at++) {
        rawValues[at] = digest[word]!
        rawIndexes[at] = index
      }
    }
  }
  return sortPoints(rawValues, rawIndexes)
}

/**
 * Sorts points by value, equal values keeping their insertion order. Each point is packed as
 * value * 2^21 + insertion position into a double (exact below 2^53), so a plain numeric sort
 * of a Float64Array does it; rings too large for that fall back to a comparator sort.
 */
function sortPoints(rawValues: Uint32Array, rawIndexes: Uint32Array): KetamaContinuum {
  const count = rawValues.length
  const values = new Uint32Array(count)
  const indexes = new Uint32Array(count)
  const POSITION_RANGE = 2 ** 21
  let order: ArrayLike<number>
  if (count <= POSITION_RANGE) {
    const packed = new Float64Array(count)
    for (let i = 0; i < count; i++) packed[i] = rawValues[i]! * POSITION_RANGE + i
    packed.sort()
    const positions = new Uint32Array(count)
    for (let i = 0; i < count; i++) positions[i] = packed[i]! % POSITION_RANGE
    order = positions
  } else {
    order = Array.from({length: count}, (_, i) => i).sort((a, b) => rawValues[a]! - rawValues[b]! || a - b)
  }
  for (let to = 0; to < count; to++) {
    values[to] = rawValues[order[to]!]!
    indexes[to] = rawIndexes[order[to]!]!
  }
  return {values, indexes}
}

/** The server index for `hash`: the first point whose value is >= hash, wrapping to the first. */
export function ketamaDispatch(continuum: KetamaContinuum, hash: number): number {
  const {values, indexes} = continuum
  let left = 0
  let right = values.length
  while (left < right) {
    const middle = (left + right) >>> 1
    if (values[middle]! < hash) left = middle + 1
    else right = middle
  }
  return indexes[right === values.length ? 0 : right]!
}
