// Which server of a pool holds a key, the way nutcracker 0.5.0 decides (server_pool_idx):
// a pool of one server skips hashing; otherwise the hash_tag part of the key (or the whole key)
// is hashed, an empty key hashing to 0, and the distribution picks the server. Built once per
// pool; placing a key allocates nothing.
import {HASH_FUNCTIONS} from './functions.js'
import {HashTagRange} from './hash-tag.js'
import {buildKetamaContinuum, ketamaDispatch, type KetamaContinuum, type WeightedServer} from './ketama.js'
import {buildModulaTable, modulaDispatch, type ModulaTable} from './modula.js'
import type {Distribution, HashFunction, HashName} from './names.js'
import {Utf8Scratch} from './utf8-scratch.js'

export interface PlacementPool {
  hash: HashName
  /** two bytes such as "{}", or undefined for none */
  hashTag?: string
  distribution: Distribution
  /** in nutcracker's sorted order: the indexes returned refer to this array */
  servers: readonly WeightedServer[]
}

export interface KeyPlacerOptions {
  /** false for servers that auto_eject_hosts has taken out of the ring; all live by default */
  live?: readonly boolean[]
  /** the random source of the random distribution, in [0, 1) */
  random?: () => number
}

export class KeyPlacer {
  readonly distribution: Distribution
  readonly serverCount: number
  /** false for the random distribution over several servers: the server changes per request */
  readonly deterministic: boolean
  private readonly hashFunction: HashFunction
  private readonly tag?: HashTagRange
  private readonly continuum?: KetamaContinuum
  private readonly modula?: ModulaTable
  private readonly liveIndexes: Uint32Array
  private readonly random: () => number
  private readonly scratch = new Utf8Scratch()

  constructor(pool: PlacementPool, options: KeyPlacerOptions = {}) {
    const hashFunction = HASH_FUNCTIONS[pool.hash]
    if (hashFunction === undefined) throw new RangeError(`unknown hash function "${pool.hash}"`)
    if (pool.servers.length === 0) throw new RangeError('a pool needs at least one server')
    this.hashFunction = hashFunction
    this.distribution = pool.distribution
    this.serverCount = pool.servers.length
    this.deterministic = pool.distribution !== 'random' || pool.servers.length === 1
    this.random = options.random ?? Math.random
    if (pool.hashTag !== undefined && pool.hashTag.length > 0) this.tag = new HashTagRange(pool.hashTag)
    const live = options.live
    this.liveIndexes = Uint32Array.from(pool.servers.map((_, i) => i).filter((i) => live === undefined || live[i]))
    if (this.liveIndexes.length === 0) return
    if (pool.distribution === 'ketama') this.continuum = buildKetamaContinuum(pool.servers, live)
    else if (pool.distribution === 'modula') this.modula = buildModulaTable(pool.servers.map((s) => s.weight), live)
    else if (pool.distribution !== 'random') throw new RangeError(`unknown distribution "${pool.distribution as string}"`)
  }

  /**
   * The index (into pool.servers) of the server that holds key[start, end), or -1 when every
   * server is ejected. A string key is placed by its UTF-8 bytes, and start/end then count bytes.
   */
  serverIndex(key: Uint8Array | string, start?: number, end?: number): number {
    if (this.serverCount === 1) return 0
    if (this.liveIndexes.length === 0) return -1
    if (this.distribution === 'random') return this.liveIndexes[Math.floor(this.random() * this.liveIndexes.length)]!
    const hash = this.hashOf(key, start, end)
    return this.continuum !== undefined ? ketamaDispatch(this.continuum, hash) : modulaDispatch(this.modula!, hash)
  }

  /** The hash nutcracker places key[start, end) by: of its hash_tag part, and 0 for an empty key. */
  hashOf(key: Uint8Array | string, start?: number, end?: number): number {
    let bytes: Uint8Array
    if (typeof key === 'string') {
      bytes = this.scratch.encode(key)
      start ??= 0
      end = Math.min(end ?? this.scratch.length, this.scratch.length)
    } else {
      bytes = key
      start ??= 0
      end ??= key.length
    }
    if (this.tag !== undefined) {
      this.tag.apply(bytes, start, end)
      start = this.tag.start
      end = this.tag.end
    }
    return end > start ? this.hashFunction(bytes, start, end) : 0
  }
}
