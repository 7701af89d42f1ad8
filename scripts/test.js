#!/usr/bin/env node
// `npm test`: make sure the real servers are installed, build, then run every test with node:test.
// Extra arguments narrow the run to test files whose path contains one of them: `npm test -- hashing`.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from './build.js'
import {ensureSystemPrograms} from './system-deps.js'

const root = fileURLToPath(new URL('..', import.meta.url))
process.chdir(root)
ensureSystemPrograms()
build()

function* testFiles(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (name !== 'bench' && name !== 'support') yield* testFiles(path)
    } else if (name.endsWith('.test.js')) yield path
  }
}

const filters = process.argv.slice(2)
const files = [...testFiles(join(root, 'dist/test'))]
  .map((path) => relative(root, path))
  .filter((path) => filters.length === 0 || filters.some((f) => path.includes(f)))
if (files.length === 0) {
  console.error(`No test files match ${filters.join(', ') || 'dist/test/**/*.test.js'}.`)
  process.exit(1)
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2'
// One port registry for the run (test/support/servers.ts claimPort): test files running at the
// same time never share a port, nor take one another freed.
const ports = mkdtempSync(join(tmpdir(), 'twlab-test-ports-'))
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...files],
  {stdio: 'inherit', env: {...process.env, TWLAB_TEST: '1', TWLAB_TEST_PORTS: ports}},
)
rmSync(ports, {recursive: true, force: true})
process.exit(result.status ?? 1)
