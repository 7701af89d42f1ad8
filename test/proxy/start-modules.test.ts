// What a running twproxy has loaded, by the modules in the files it resolved (a bundle chunk
// stands for the modules listed for it in dist/bundle/twproxy/modules.json) and the built-in
// modules it loaded. A plain pool loads no client library (ioredis), none of twlab's config
// writer, no workers module and no reload until a SIGUSR1; --workers loads the workers and a pool
// that reads the servers' command tables loads ioredis, which shows the record sees them.
// (node:cluster is not among them: net's listen() loads it in every process that listens.)
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {ROOT, TWPROXY} from '../support/cli.js'
import {freePort, type RunningServer, startRedis, stopAll, stopPid, tempDir, waitForPort} from '../support/servers.js'

const PRELOAD = join(ROOT, 'test/proxy/record-modules.mjs')
const BUNDLE_MODULES = join(ROOT, 'dist/bundle/twproxy/modules.json')

let backend: RunningServer

/** The modules a twproxy serving `poolKeys` has loaded once it listens (files and node:*). */
async function modulesOf(poolKeys: string, args: string[] = []): Promise<string[]> {
  const dir = tempDir('twproxy-modules-')
  const record = join(dir, 'modules')
  const config = join(dir, 'nutcracker.yml')
  const port = await freePort()
  const statsPort = await freePort()
  writeFileSync(config, `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n${poolKeys}  servers:\n   - 127.0.0.1:${backend.port}:1 server1\n`)
  writeFileSync(record, '')
  const child = spawn(process.execPath, ['--import', PRELOAD, TWPROXY, '-c', config, '-s', String(statsPort), '-o', join(dir, 'log'), ...args],
    {stdio: 'ignore', env: {...process.env, TWPROXY_MODULES: record}})
  try {
    await waitForPort(port)
    await waitForPort(statsPort)
  } finally {
    await stopPid(child)
  }
  return expand(readFileSync(record, 'utf8').split('\n').filter((line) => line !== '' && !line.includes('record-modules')))
}

/** Files and built-ins as module names: a bundle chunk becomes the modules bundled in it. */
function expand(lines: string[]): string[] {
  const chunks: Record<string, string[]> = existsSync(BUNDLE_MODULES) ? JSON.parse(readFileSync(BUNDLE_MODULES, 'utf8')) : {}
  return [...new Set(lines.flatMap((line) => {
    if (line.startsWith('node:')) return [line]
    const path = fileURLToPath(line)
    const inBundle = /\/dist\/bundle\/twproxy\/([^/]+)$/.exec(path)
    if (inBundle !== null) return chunks[inBundle[1]] ?? [path]
    return [path.slice(ROOT.length).replace(/^.*?node_modules\//, 'node_modules/')]
  }))]
}

const client = (modules: string[]) => modules.filter((m) => m.startsWith('node_modules/ioredis/') || m.startsWith('node_modules/@ioredis/'))
const configWriter = (modules: string[]) => modules.filter((m) => /dist\/src\/config\/(render|edit|index)\.js$/.test(m))
const workers = (modules: string[]) => modules.filter((m) => m.endsWith('dist/src/proxy/cli/workers.js'))

describe('what twproxy loads', () => {
  before(async () => {
    backend = await startRedis()
  })
  after(async () => {
    await stopAll()
  })

  test('a plain pool: the proxy, config reading and yaml; no client library, config writer, workers or reload', async () => {
    const modules = await modulesOf('')
    assert.ok(modules.some((m) => m.endsWith('dist/src/proxy/client/redis-client.js')), modules.join('\n'))
    assert.ok(modules.some((m) => m.startsWith('node_modules/yaml/')), 'the config is read with yaml')
    assert.deepEqual(client(modules), [])
    assert.deepEqual(configWriter(modules), [])
    assert.deepEqual(workers(modules), [])
    assert.deepEqual(modules.filter((m) => m.endsWith('dist/src/proxy/reload/reload.js') || m === 'node:tls'), [])
  })

  test('--workers loads the workers, and a pool that reads its servers\' command tables loads ioredis', async () => {
    assert.notDeepEqual(workers(await modulesOf('', ['--workers', '2'])), [])
    assert.notDeepEqual(client(await modulesOf('  command_keys: backend\n')), [])
  })
})
