// How a pool change rewrites nutcracker.yml. The switch gives the pool its new servers: and, for
// twproxy, the old list as fallback_servers: (twproxy then asks the old owner to hand a moving
// key over before serving it). Once every key has moved the fallback list is dropped. Each write
// is atomic; the first keeps a backup of the file as it was.
import {editConfigFile, FALLBACK_SERVERS_KEY, type ConfigEditor} from '../config/index.js'
import {isMap, isScalar, type YAMLMap, type YAMLSeq} from 'yaml'
import {UserError} from '../errors.js'

/** Writes the new servers: (and the old list as fallback_servers: when given); returns the backup's path. */
export async function writeNewServers(configFile: string, pool: string, after: string[], fallback: string[] | undefined): Promise<string | undefined> {
  const written = await editConfigFile(configFile, (editor) => {
    editor.setServers(pool, after)
    setFallback(editor, pool, fallback)
  }, {extensions: true})
  return written.backup
}

/** Removes fallback_servers: once no key is left on an old owner. */
export async function dropFallback(configFile: string, pool: string): Promise<void> {
  await editConfigFile(configFile, (editor) => setFallback(editor, pool, undefined), {extensions: true, backup: false})
}

/** fallback_servers: as a block sequence under the pool, before servers:. */
function setFallback(editor: ConfigEditor, pool: string, entries: string[] | undefined): void {
  if (entries === undefined) {
    editor.deleteKey(pool, FALLBACK_SERVERS_KEY)
    return
  }
  const root = editor.doc.contents as YAMLMap<unknown, unknown>
  const poolPair = root.items.find((p) => isScalar(p.key) && String(p.key.value) === pool)
  if (!poolPair || !isMap(poolPair.value)) throw new UserError(`The config has no pool "${pool}" any more.`)
  const map = poolPair.value as YAMLMap<unknown, unknown>
  const seq = editor.doc.createNode(entries) as YAMLSeq<unknown>
  seq.flow = false
  const existing = map.items.find((p) => isScalar(p.key) && p.key.value === FALLBACK_SERVERS_KEY)
  if (existing) {
    existing.value = seq
    return
  }
  const at = map.items.findIndex((p) => isScalar(p.key) && p.key.value === 'servers')
  const pair = editor.doc.createPair(FALLBACK_SERVERS_KEY, seq)
  if (at < 0) map.items.push(pair as never)
  else map.items.splice(at, 0, pair as never)
}
