// The house's rules, checked on the sources themselves: imports between the folders of src/ run
// one way (the layers below), no module imports itself back through a cycle, no folder of src/
// holds more than about twenty files side by side, and every folder has its README. A change that
// breaks one of these fails here with the import that broke it, instead of slowly blurring the tree.
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {test} from 'node:test'
import {ROOT} from '../support/cli.js'

/**
 * What each part of src/ may import (besides itself). A part is a top-level folder of src/ or one
 * of the single modules beside them. Commands may import anything in src/.
 */
const ALLOWED: Record<string, string[]> = {
  errors: [],
  address: ['errors'],
  'key-text': [],
  hashing: ['errors'],
  protocol: ['key-text', 'errors'],
  config: ['hashing', 'address', 'errors'],
  servers: ['address', 'errors'],
  proxy: ['protocol', 'hashing', 'config', 'address', 'errors'],
  targets: ['hashing', 'config', 'address', 'key-text', 'errors'],
  lab: ['targets', 'servers', 'hashing', 'config', 'address', 'key-text', 'errors'],
  keys: ['targets', 'lab', 'hashing', 'config', 'address', 'key-text', 'errors'],
  cluster: ['targets', 'lab', 'servers', 'hashing', 'config', 'address', 'key-text', 'errors'],
  pool: ['targets', 'lab', 'hashing', 'config', 'address', 'key-text', 'errors'],
  migrate: ['targets', 'lab', 'protocol', 'hashing', 'config', 'address', 'key-text', 'errors'],
  check: ['targets', 'lab', 'hashing', 'config', 'address', 'key-text', 'errors'],
  cli: ['keys', 'cluster', 'pool', 'migrate', 'check', 'lab', 'targets', 'servers', 'hashing', 'config', 'address', 'key-text', 'errors'],
}

const MAX_FILES_PER_FOLDER = 20
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* tsFiles(path)
    else if (name.endsWith('.ts')) yield path
  }
}

/** src-relative paths of the modules a file imports (relative imports only). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found: string[] = []
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2]
    found.push(relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'))
  }
  return found
}

/** "src/cluster/run.ts" -> "cluster"; "src/errors.ts" -> "errors"; anything else -> undefined. */
function partOf(path: string): string | undefined {
  const parts = path.split('/')
  if (parts[0] !== 'src') return undefined
  return parts.length === 2 ? parts[1].replace(/\.ts$/, '') : parts[1]
}

const srcFiles = [...tsFiles(join(ROOT, 'src'))].map((file) => relative(ROOT, file))
const graph = new Map(srcFiles.map((file) => [file, importsOf(join(ROOT, file)).filter((to) => to.startsWith('src/'))]))

test('imports between the parts of src/ follow the layers', () => {
  const wrong: string[] = []
  for (const [from, targets] of graph) {
    const fromPart = partOf(from)!
    const allowed = ALLOWED[fromPart]
    assert.ok(allowed, `${from}: src/${fromPart} is not in the layer table of this test; add it with what it may import`)
    for (const to of targets) {
      const toPart = partOf(to)!
      if (toPart !== fromPart && !allowed.includes(toPart)) wrong.push(`${from} imports ${to} (${fromPart} may import: ${allowed.join(', ') || 'nothing of ours'})`)
    }
  }
  assert.deepEqual(wrong, [])
})

test('no import cycle between modules', () => {
  const state = new Map<string, 'open' | 'done'>()
  const cycles: string[] = []
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '))
      return
    }
    state.set(file, 'open')
    for (const to of graph.get(file) ?? []) visit(to, [...path, file])
    state.set(file, 'done')
  }
  for (const file of graph.keys()) visit(file, [])
  assert.deepEqual(cycles, [])
})

test('libraries import neither oclif nor the CLI layer', () => {
  const wrong = srcFiles.filter((file) => !file.startsWith('src/cli/') && /from\s*['"]@oclif\/core['"]/.test(readFileSync(join(ROOT, file), 'utf8')))
  assert.deepEqual(wrong, [])
})

test('every folder of src/ has a README and at most about twenty modules', () => {
  const folders = new Set(srcFiles.map((file) => dirname(file)).filter((dir) => dir !== 'src'))
  const problems: string[] = []
  for (const folder of folders) {
    if (!existsSync(join(ROOT, folder, 'README.md')) && folder.split('/').length === 2) problems.push(`${folder} has no README.md`)
    const modules = readdirSync(join(ROOT, folder)).filter((name) => name.endsWith('.ts'))
    if (modules.length > MAX_FILES_PER_FOLDER) problems.push(`${folder} holds ${modules.length} modules side by side`)
  }
  assert.deepEqual(problems, [])
})

test('one host:port parser', () => {
  const splitters = srcFiles.filter((file) => file !== 'src/address.ts' && readFileSync(join(ROOT, file), 'utf8').includes("lastIndexOf(':')"))
  assert.deepEqual(splitters, [])
})
