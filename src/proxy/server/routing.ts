// Key placement for nutcracker pools: the hashing module's KeyPlacer (hash, hash_tag,
// distribution), built over the servers that are live.
import {KeyPlacer} from '../../hashing/index.js'
import type {KeyRouter} from '../backend.js'
import type {RouterFactory} from './server-pool.js'

export const keyPlacerRouter: RouterFactory = (pool, live): KeyRouter => {
  const placer = new KeyPlacer(pool, {live})
  return {serverIndex: (key, start, end) => placer.serverIndex(key, start, end)}
}
