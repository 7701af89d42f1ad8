// The config rewrite of a cut-over: the pool's `servers:` list (and what only makes sense with
// it: `sentinels:`, `redis_db`) is replaced by `cluster:`, the list of the target's masters, in the same
// place. Written atomically with a backup by editConfigFile; the original text is kept so a
// failed switch puts the file back exactly as it was.
import {readFile} from 'node:fs/promises'
import {isMap, isScalar, type Pair, type YAMLMap, type YAMLSeq} from 'yaml'
import {CLUSTER_KEY, ConfigEditor, editConfigFile, writeFileAtomic} from '../../config/index.js'

// sentinels: names the servers' masters; redis_db: a cluster has only database 0, where the keys were copied
const REPLACED_KEYS = ['servers', 'sentinels', 'redis_db']

export interface PoolRewrite {
  file: string
  backup?: string
  /** the file as it was, to put back */
  original: string
}

function poolMap(editor: ConfigEditor, pool: string): YAMLMap<unknown, unknown> {
  const node = editor.doc.get(pool, true)
  if (!isMap(node)) throw new Error(`no pool "${pool}" in ${editor.file}`)
  return node as YAMLMap<unknown, unknown>
}

/** Replaces the pool's backends by `cluster: [masters]`, in place of `servers:`. */
export function switchPoolToCluster(editor: ConfigEditor, pool: string, masters: string[]): void {
  const map = poolMap(editor, pool)
  const keyOf = (pair: Pair<unknown, unknown>) => (isScalar(pair.key) ? String(pair.key.value) : '')
  const seq = editor.doc.createNode(masters) as YAMLSeq<unknown>
  seq.flow = false
  const pair = editor.doc.createPair(CLUSTER_KEY, seq) as Pair<unknown, unknown>
  const at = map.items.findIndex((p) => keyOf(p) === 'servers')
  map.items = map.items.filter((p) => keyOf(p) !== CLUSTER_KEY)
  if (at < 0) map.items.push(pair)
  else map.items.splice(map.items.findIndex((p) => keyOf(p) === 'servers'), 0, pair)
  map.items = map.items.filter((p) => !REPLACED_KEYS.includes(keyOf(p)))
}

export async function rewritePoolToCluster(file: string, pool: string, masters: string[]): Promise<PoolRewrite> {
  const original = await readFile(file, 'utf8')
  const result = await editConfigFile(file, (editor) => switchPoolToCluster(editor, pool, masters), {extensions: true, backup: 'bak'})
  return {file, backup: result.backup, original}
}

/** Puts the file back as it was before the rewrite. */
export async function restorePool(rewrite: PoolRewrite): Promise<void> {
  await writeFileAtomic(rewrite.file, rewrite.original)
}
