// `twlab servers ls`: the system's redis-server (the default) and every installed server, with
// versions read from the binaries, plus the catalog names not installed yet.
import {isUserError} from '../errors.js'
import {CATALOG, SYSTEM_SERVER, type CatalogEntry, type Product} from './catalog.js'
import {systemRuntime, withVersion} from './resolve.js'
import {listInstalled} from './store.js'

export interface ListedServer {
  name: string
  product: Product
  version?: string
  /** the server program (system) or the server's folder (installed) */
  path?: string
  /** why the system's server is not usable, when it is not */
  missing?: string
  default: boolean
}

export async function listServers(twlabHome: string): Promise<{servers: ListedServer[]; available: CatalogEntry[]}> {
  const servers: ListedServer[] = []
  try {
    const system = await withVersion(systemRuntime())
    servers.push({name: SYSTEM_SERVER, product: system.product, ...(system.version ? {version: system.version} : {}), path: system.server.bin, default: true})
  } catch (error) {
    if (!isUserError(error)) throw error
    servers.push({name: SYSTEM_SERVER, product: 'redis', missing: 'redis-server not found on PATH', default: true})
  }
  const installed = listInstalled(twlabHome)
  for (const server of installed) servers.push({name: server.name, product: server.product, version: server.version, path: server.dir, default: false})
  return {servers, available: CATALOG.filter((entry) => !installed.some((server) => server.name === entry.name))}
}
