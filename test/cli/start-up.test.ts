// What twlab loads to start (the speed itself is shown by `npm run bench -- cli`, not asserted):
// --version reads package.json and nothing else; a known command starts from its bundled chunks,
// without oclif's plugins or any file of node_modules; help still goes through oclif.
import assert from 'node:assert/strict'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {ROOT, twlab} from '../support/cli.js'
import {tempDir} from '../support/servers.js'

const PRELOAD = join(ROOT, 'test/cli/record-loads.mjs')
const CONFIG = fileURLToPath(new URL('../../../test/cli/two-servers.yml', import.meta.url))

async function loadsOf(args: string[]): Promise<{code: number | null; stdout: string; loads: string[]}> {
  const dir = tempDir('twlab-loads-')
  const file = join(dir, 'loads')
  try {
    const run = await twlab(args, {env: {TWLAB_LOADS: file, NODE_OPTIONS: `--import=${PRELOAD}`}})
    const loads = readFileSync(file, 'utf8').split('\n').filter((line) => line && !line.includes('record-loads') && !line.startsWith('data:'))
    return {code: run.code, stdout: run.stdout, loads}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

test('--version and -v load nothing but the entry', async () => {
  for (const flag of ['--version', '-v']) {
    const run = await loadsOf([flag])
    assert.equal(run.code, 0)
    assert.match(run.stdout, /^twlab\/\d+\.\d+\.\d+ \S+ node-v\d+/)
    assert.deepEqual(run.loads.map((url) => url.replace(/^.*\/(bin\/)/, '$1')), ['bin/run.js'])
  }
})

test('a known command starts from the bundle, with no file of node_modules', async () => {
  const run = await loadsOf(['keys', 'where', 'user:1', '-c', CONFIG])
  assert.equal(run.code, 0)
  assert.match(run.stdout, /user:1/)
  assert.deepEqual(run.loads.filter((url) => url.includes('node_modules')), [])
  assert.ok(run.loads.some((url) => url.includes('/dist/bundle/twlab/')), run.loads.join('\n'))
})

test('help still goes through oclif', async () => {
  const run = await twlab(['keys', 'where', '--help'])
  assert.equal(run.code, 0)
  assert.match(run.stdout, /USAGE\n {2}\$ twlab keys where/)
})
