// Which pool of a nutcracker.yml the tools work on, and the file read as the tools read it. Kept
// apart from the live pool view (pool.ts) so that reading a config loads no client library:
// `keys where` places keys offline and must start fast.
import {isConfigError, loadConfig} from '../config/index.js'
import type {NutcrackerConfig, PoolConfig} from '../config/types.js'
import {UserError} from '../errors.js'

/**
 * --pool NAME, or the only pool of the file. Any pool: placing keys offline works for memcache
 * pools too.
 */
export function choosePool(config: NutcrackerConfig, poolName: string | undefined): PoolConfig {
  const hint = `Pools in it: ${config.pools.map((pool) => pool.name).join(', ')}.`
  if (poolName === undefined) {
    if (config.pools.length === 1) return config.pools[0]
    throw new UserError(`${config.file} has ${config.pools.length} pools: say which one with --pool NAME.`, {hint})
  }
  const pool = config.pools.find((candidate) => candidate.name === poolName)
  if (!pool) throw new UserError(`${config.file} has no pool named "${poolName}".`, {hint})
  return pool
}

/** --pool, or the only pool; a memcache pool cannot be inspected with Redis commands. */
export function pickPool(config: NutcrackerConfig, poolName: string | undefined): PoolConfig {
  const pool = choosePool(config, poolName)
  if (!pool.redis) {
    throw new UserError(`Pool "${pool.name}" in ${config.file} is a memcache pool: twlab works on redis pools (redis: true) only.`)
  }
  return pool
}

/**
 * The config as the tools read it: listen hosts are not resolved (the tools never listen) and
 * twlab's extension keys are accepted. Config errors already name the file, pool, key and fix;
 * they only need to be shown as the user's error they are.
 */
export async function readPoolConfig(file: string): Promise<NutcrackerConfig> {
  try {
    return await loadConfig(file, {resolve: false, extensions: true})
  } catch (error) {
    if (isConfigError(error)) throw new UserError(error.message, {cause: error})
    throw error
  }
}
