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
  let liveCount = 0
  let totalWeight = 0
  for (let i = 0; i < servers.length; i++) {
    if (live !== undefined && !live[i]) continue
    liveCount++
    totalWeight = (totalWeight + servers[i]!.weight) >>> 0
  }
  const rawValues: number[] = []
  const rawIndexes: number[] = []
  const digest = new Uint32Array(4)
  for (let index = 0; index < servers.length; index++) {
    if (live !== undefined && !live[index]) continue
    const server = servers[index]!
    const points = ketamaPointsPerServer(server.weight, totalWeight, liveCount)
    const name = Buffer.from(server.name, 'utf8')
    for (let n = 0; n < points / POINTS_PER_HASH; n++) {
      const host = Buffer.concat([name, Buffer.from(`-${n}`, 'latin1')])
      md5Words(host, 0, Math.min(host.length, MAX_HOST_LENGTH), digest)
      for (let word = 0; word < POINTS_PER_HASH; word++) {
        rawValues.push(digest[word]!)
        rawIndexes.push(index)
      }
    }
  }
  // Array.prototype.sort is stable, and the tie-break on insertion position makes that explicit.
  const order = rawValues.map((_, i) => i).sort((a, b) => rawValues[a]! - rawValues[b]! || a - b)
  const values = new Uint32Array(order.length)
  const indexes = new Uint32Array(order.length)
  order.forEach((from, to) => {
    values[to] = rawValues[from]!
    indexes[to] = rawIndexes[from]!
  })
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
