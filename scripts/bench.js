#!/usr/bin/env node
// `npm run bench`: builds, then runs every benchmark (dist/test/bench/*.bench.js) in turn, or only
// those whose name contains one of the arguments: `npm run bench -- proxy`. Benchmarks print
// figures side by side with the reference in the same run; they never pass or fail on time.
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from './build.js'
import {ensureSystemPrograms} from './system-deps.js'

const root = fileURLToPath(new URL('..', import.meta.url))
process.chdir(root)
ensureSystemPrograms()
build()

const dir = join(root, 'dist/test/bench')
const filters = process.argv.slice(2)
const benches = (existsSync(dir) ? readdirSync(dir) : [])
  .filter((name) => name.endsWith('.bench.js'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort()
if (benches.length === 0) {
  console.error(`No benchmark matches ${filters.join(', ') || 'dist/test/bench/*.bench.js'}.`)
  process.exit(1)
}
let failed = 0
for (const name of benches) {
  console.log(`\n=== ${name.replace(/\.bench\.js$/, '')}`)
  const result = spawnSync(process.execPath, [join(dir, name)], {stdio: 'inherit'})
  if (result.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
