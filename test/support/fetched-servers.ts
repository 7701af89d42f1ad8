// Redis 8 and Valkey servers for tests, fetched with the same code as `twlab servers add` into
// one folder shared by every test run (fetched once, then reused), and linked into a test's own
// TWLAB_HOME. A server that cannot be fetched fails the test with the reason: never a skip.
import {existsSync, mkdirSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {catalogEntry} from '../../src/servers/catalog.js'
import {fetchServer} from '../../src/servers/fetch.js'
import {serversRoot, type InstalledServer} from '../../src/servers/store.js'

/** The TWLAB_HOME whose servers/ folder caches fetched servers across test runs. */
export function serverCacheHome(): string {
  return process.env.TWLAB_TEST_SERVER_CACHE ?? join(tmpdir(), 'twlab-test-servers')
}

/** The installed server `name` (fetching it the first time); throws with the reason otherwise. */
export async function fetchedServer(name: string): Promise<InstalledServer> {
  const home = serverCacheHome()
  try {
    const {server} = await fetchServer(catalogEntry(name), {home, progress: (line) => process.stderr.write(`[servers] ${line}\n`)})
    return server
  } catch (error) {
    throw new Error(`server ${name} could not be fetched for the tests: ${(error as Error).message}`, {cause: error})
  }
}

/** Makes `name` an installed server of the TWLAB_HOME `home` (a link to the shared cache). */
export async function linkFetchedServer(home: string, name: string): Promise<InstalledServer> {
  const server = await fetchedServer(name)
  const root = serversRoot(home)
  mkdirSync(root, {recursive: true})
  if (!existsSync(join(root, name))) symlinkSync(server.dir, join(root, name))
  return server
}
