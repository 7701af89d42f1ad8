// Changes to an existing nutcracker.yml for tools that grow, shrink or switch pools. Edits go
// through yaml's Document API so comments, key order and quoting of untouched lines survive.
// The result must still be a file nutcracker accepts, or nothing is written; the write is
// atomic (temp file in the same directory, fsync, rename) and the old file is kept as a backup.
import {randomBytes} from 'node:crypto'
import {copyFile, open, readFile, rename, stat, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {isMap, isScalar, isSeq, parseDocument, type Document, type Pair, type Scalar, type YAMLMap, type YAMLSeq} from 'yaml'
import {analyzeConfig, type ParseOptions} from './parse.js'
import {ConfigError, type ConfigProblem} from './problems.js'
import {NUTCRACKER_YAML_OUTPUT} from './render.js'
import {formatServerEntry, parseServerEntry} from './server-entry.js'
import type {NutcrackerConfig, ServerConfig} from './types.js'

/** A server to add: an entry as written ("127.0.0.1:6390:1 s3"), or its parts. */
export type ServerSpec = string | {host: string; port: number; weight?: number; name?: string}

export class ConfigEditor {
  readonly doc: Document

  constructor(text: string, readonly file = '<string>') {
    this.doc = parseDocument(text, {schema: 'failsafe', uniqueKeys: false, keepSourceTokens: false})
    if (this.doc.errors.length > 0 || !isMap(this.doc.contents)) {
      throw new ConfigError(analyzeConfig(text, file).problems.concat(this.doc.errors.length > 0 ? [] : [{file, problem: 'the file is not a mapping of pools', fix: 'Fix it with twlab conf test first.'}]))
    }
  }

  poolNames(): string[] {
    return this.root().items.map((pair) => String((pair.key as Scalar).value))
  }

  /** Adds a server to the pool's servers: list. */
  addServer(pool: string, server: ServerSpec): this {
    const entry = serverEntryText(server, this.file, pool)
    this.serversOf(pool, true).items.push(this.doc.createNode(entry))
    return this
  }

  /** Removes the server whose name, "host:port" address, or entry text is `which`. */
  removeServer(pool: string, which: string): this {
    const seq = this.serversOf(pool, false)
    const index = seq.items.findIndex((item) => matchesServer(item, which))
    if (index < 0) {
      const known = seq.items.map((item) => String((item as Scalar).value)).join(', ')
      throw this.problem(pool, 'servers', `no server "${which}" in this pool`, `Name a server by its name or host:port; the pool has: ${known}.`)
    }
    seq.items.splice(index, 1)
    return this
  }

  /** Replaces the pool's whole servers: list (comments on the key are kept). */
  setServers(pool: string, servers: ServerSpec[]): this {
    const seq = this.serversOf(pool, true)
    seq.items = servers.map((server) => this.doc.createNode(serverEntryText(server, this.file, pool)))
    return this
  }

  /** Sets a pool key (value as nutcracker reads it); a new key goes before servers:. */
  setKey(pool: string, key: string, value: string | number | boolean): this {
    const map = this.poolMap(pool)
    const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key)
    if (pair && isScalar(pair.value)) {
      pair.value.value = String(value)
    } else if (pair) {
      pair.value = this.doc.createNode(String(value))
    } else {
      const at = map.items.findIndex((p) => isScalar(p.key) && p.key.value === 'servers')
      const node = this.doc.createPair(key, String(value)) as Pair<unknown, unknown>
      if (at < 0) map.items.push(node)
      else map.items.splice(at, 0, node)
    }
    return this
  }

  deleteKey(pool: string, key: string): this {
    const map = this.poolMap(pool)
    map.items = map.items.filter((p) => !(isScalar(p.key) && p.key.value === key))
    return this
  }

  toString(): string {
    return this.doc.toString(NUTCRACKER_YAML_OUTPUT)
  }

  private root(): YAMLMap<unknown, unknown> {
    return this.doc.contents as YAMLMap<unknown, unknown>
  }

  private poolMap(pool: string): YAMLMap<unknown, unknown> {
    const pair = this.root().items.find((p) => isScalar(p.key) && String(p.key.value) === pool)
    if (!pair || !isMap(pair.value)) {
      throw this.problem(pool, undefined, `there is no pool "${pool}"`, `Use one of: ${this.poolNames().join(', ')}.`)
    }
    return pair.value as YAMLMap<unknown, unknown>
  }

  private serversOf(pool: string, create: boolean): YAMLSeq<unknown> {
    const map = this.poolMap(pool)
    const pair = map.items.find((p) => isScalar(p.key) && p.key.value === 'servers')
    if (pair && isSeq(pair.value)) return pair.value as YAMLSeq<unknown>
    if (!create) throw this.problem(pool, 'servers', 'the pool has no servers: list', 'Add servers first.')
    const seq = this.doc.createNode([]) as YAMLSeq<unknown>
    seq.flow = false
    if (pair) pair.value = seq
    else map.items.push(this.doc.createPair('servers', seq) as Pair<unknown, unknown>)
    return seq
  }

  private problem(pool: string, key: string | undefined, problem: string, fix: string): ConfigError {
    return new ConfigError([{file: this.file, pool, ...(key ? {key} : {}), problem, fix}])
  }
}

function serverEntryText(server: ServerSpec, file: string, pool: string): string {
  const text = typeof server === 'string'
    ? server
    : formatServerEntry({host: server.host, port: server.port, address: `${server.host}:${server.port}`, weight: server.weight ?? 1, name: server.name ?? (server.port === 11211 ? server.host : `${server.host}:${server.port}`)})
  const parsed = parseServerEntry(text)
  if (!parsed.ok) throw new ConfigError([{file, pool, key: 'servers', problem: parsed.problem, fix: parsed.fix}])
  return text
}

function matchesServer(item: unknown, which: string): boolean {
  if (!isScalar(item)) return false
  const text = String(item.value)
  if (text === which) return true
  const parsed = parseServerEntry(text)
  return parsed.ok && (parsed.server.name === which || parsed.server.address === which || parsed.server.pname === which)
}

export interface EditOptions extends ParseOptions {
  /** keep the previous file: 'bak' writes FILE.bak (default), 'timestamp' FILE.<UTC time>.bak, false none */
  backup?: 'bak' | 'timestamp' | false
}

export interface EditResult {
  file: string
  /** the backup written, if any */
  backup?: string
  /** false when the edit left the text as it was (nothing written) */
  changed: boolean
  config: NutcrackerConfig
}

/**
 * Applies `edit` to a nutcracker.yml. The edited text must parse (as nutcracker would, listen
 * hosts aside), or ConfigError is thrown and the file is left alone.
 */
export async function editConfigFile(file: string, edit: (editor: ConfigEditor) => unknown, options: EditOptions = {}): Promise<EditResult> {
  const before = await readFile(file, 'utf8')
  const editor = new ConfigEditor(before, file)
  await edit(editor)
  const after = editor.toString()
  const analysis = analyzeConfig(after, file, options)
  if (analysis.problems.length > 0) {
    throw new ConfigError(analysis.problems.map((p): ConfigProblem => ({...p, problem: `after this change, ${p.problem}`, fix: `${p.fix ?? ''} Nothing was written.`.trim()})))
  }
  if (after === before) return {file, changed: false, config: analysis.config!}
  let backup: string | undefined
  if (options.backup !== false) {
    backup = options.backup === 'timestamp' ? `${file}.${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.bak` : `${file}.bak`
    await copyFile(file, backup)
  }
  await writeFileAtomic(file, after)
  return {file, backup, changed: true, config: analysis.config!}
}

/** Writes through a temp file in the same directory and renames it over `file`, keeping its mode. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  let mode = 0o644
  try {
    mode = (await stat(file)).mode & 0o7777
  } catch {
    // a new file gets the default mode
  }
  const handle = await open(temp, 'wx', mode)
  try {
    await handle.writeFile(text, 'utf8')
    await handle.sync()
  } catch (error) {
    await handle.close()
    await unlink(temp).catch(() => undefined)
    throw error
  }
  await handle.close()
  try {
    await rename(temp, file)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw error
  }
}

export type {ServerConfig}
