// The servers twlab can install by name: which Debian suite and packages each one comes from.
// "system" is the redis-server already on this machine (PATH), the default of every lab.
import {UserError} from '../errors.js'

export const SYSTEM_SERVER = 'system'

export type Product = 'redis' | 'valkey'

export interface CatalogEntry {
  /** what users type: `twlab servers add valkey-9.1`, `twlab up --server valkey-9.1` */
  name: string
  product: Product
  /** the Debian suite the packages come from */
  suite: string
  /** the packages holding the server and its command-line tools */
  packages: string[]
  about: string
}

/**
 * The C and C++ runtime of the same suite, fetched with every server: the server runs through
 * that suite's loader, so it never depends on the system's (older) C library.
 */
export const RUNTIME_PACKAGES = ['libc6', 'libstdc++6', 'libgcc-s1']

export const CATALOG: readonly CatalogEntry[] = [
  {name: 'redis-8.0', product: 'redis', suite: 'trixie', packages: ['redis-server', 'redis-tools'], about: 'Redis 8.0 from Debian 13 (trixie)'},
  {name: 'valkey-8.1', product: 'valkey', suite: 'trixie', packages: ['valkey-server', 'valkey-tools'], about: 'Valkey 8.1 from Debian 13 (trixie)'},
  {name: 'valkey-9.1', product: 'valkey', suite: 'sid', packages: ['valkey-server', 'valkey-tools'], about: 'Valkey 9.1 from Debian unstable (sid): atomic slot migration'},
]

export function catalogNames(): string[] {
  return CATALOG.map((entry) => entry.name)
}

/** The catalog entry named `name`, or a UserError listing the names there are. */
export function catalogEntry(name: string): CatalogEntry {
  const entry = CATALOG.find((candidate) => candidate.name === name)
  if (!entry) {
    throw new UserError(`There is no server named "${name}" to fetch: choose ${catalogNames().join(', ')} (or "${SYSTEM_SERVER}" for this machine's redis-server).`)
  }
  return entry
}
