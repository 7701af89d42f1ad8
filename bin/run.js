#!/usr/bin/env node
// twlab's entry. `--version` answers from package.json alone. A command named in the bundle's list
// (scripts/bundle.js), without --help, starts from its bundled chunk: one file read instead of
// oclif's and the libraries' hundreds. Anything else (help, topics, unknown commands and their
// did-you-mean, plugins) goes to oclif as usual, which also covers a build without the bundle.
import {readFileSync} from 'node:fs'

const argv = process.argv.slice(2)
const root = new URL('..', import.meta.url)

function readJson(path) {
  try {
    return JSON.parse(readFileSync(new URL(path, root), 'utf8'))
  } catch {
    return undefined
  }
}

/** The command id the leading words name (`keys where` -> `keys:where`), longest first. */
function knownCommand(ids) {
  const end = argv.indexOf('--')
  const options = end === -1 ? argv : argv.slice(0, end)
  if (options.includes('--help')) return undefined
  const words = []
  for (const arg of argv) {
    if (arg.startsWith('-')) break
    words.push(arg)
  }
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':')
    if (ids.has(id)) return {id, rest: argv.slice(n)}
  }
  return undefined
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const {name, version} = readJson('package.json')
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const ids = readJson('dist/bundle/twlab/commands.json')
  const known = ids && knownCommand(new Set(ids))
  if (known) {
    const {run} = await import('../dist/bundle/twlab/entry.js')
    await run(known.id, known.rest)
  } else {
    const {execute} = await import('@oclif/core')
    await execute({dir: import.meta.url})
  }
}
