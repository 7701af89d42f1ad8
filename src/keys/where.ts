// Where keys live in a nutcracker pool, offline: the pool's own hashing (src/hashing) over the
// servers of nutcracker.yml, plus the Redis Cluster slot each key would have after a migration.
// Keys come as strings or as raw bytes (--stdin reads bytes, so keys that are not UTF-8 place
// exactly as nutcracker would place them).
import {KeyPlacer, keySlotOfRange} from '../hashing/index.js'
import type {NutcrackerConfig, PoolConfig} from '../config/types.js'
import {choosePool} from '../targets/pool-config.js'

export interface KeyPlacement {
  /** the key as text (invalid UTF-8 bytes shown as U+FFFD; see keyHex) */
  key: string
  /** set only when the key's bytes are not valid UTF-8: the exact key, hex-encoded */
  keyHex?: string
  pool: string
  /** nutcracker's name of the server (its stats key); null under `distribution: random` */
  server: string | null
  /** "host:port" (or the socket path) as written in nutcracker.yml; null under random */
  address: string | null
  /** the pool's hash of the key (of its hash_tag part; 0 for an empty key) */
  hash: number
  /** the Redis Cluster slot of the key (CRC16 modulo CLUSTER_SLOTS, {tag} rule) */
  slot: number
}

/**
 * The pools named in `names`, in that order, or the only pool of the file when no name is given
 * (a file with several pools needs names).
 */
export function choosePools(config: NutcrackerConfig, names: readonly string[] = []): PoolConfig[] {
  if (names.length === 0) return [choosePool(config, undefined)]
  return [...new Set(names)].map((name) => choosePool(config, name))
}

const strictUtf8 = new TextDecoder('utf-8', {fatal: true})
const lenientUtf8 = new TextDecoder('utf-8')

/** Places keys of one pool; build it once and call `place` per key. */
export class PoolPlacement {
  readonly pool: PoolConfig
  private readonly placer: KeyPlacer

  constructor(pool: PoolConfig) {
    this.pool = pool
    this.placer = new KeyPlacer({
      hash: pool.hash,
      hashTag: pool.hashTag,
      distribution: pool.distribution,
      servers: pool.servers.map((server) => ({name: server.name, weight: server.weight})),
    })
  }

  /** False under `distribution: random` with several servers: nutcracker picks a server per request. */
  get deterministic(): boolean {
    return this.placer.deterministic
  }

  /** Where key[start, end) lives. */
  placeBytes(key: Uint8Array, start = 0, end = key.length): KeyPlacement {
    const bytes = key.subarray(start, end)
    let text: string
    let keyHex: string | undefined
    try {
      text = strictUtf8.decode(bytes)
    } catch {
      text = lenientUtf8.decode(bytes)
      keyHex = Buffer.from(bytes).toString('hex')
    }
    const server = this.placer.deterministic ? this.pool.servers[this.placer.serverIndex(key, start, end)]! : undefined
    const placement: KeyPlacement = {
      key: text,
      pool: this.pool.name,
      server: server?.name ?? null,
      address: server?.address ?? null,
      hash: this.placer.hashOf(key, start, end),
      slot: keySlotOfRange(key, start, end),
    }
    if (keyHex !== undefined) placement.keyHex = keyHex
    return placement
  }

  place(key: string): KeyPlacement {
    return this.placeBytes(Buffer.from(key, 'utf8'))
  }
}
