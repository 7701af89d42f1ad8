// Fetches that fail or are interrupted leave nothing installed and say why in one sentence.
// These reach the real Debian archive the system's sources name.
import {test, describe, after} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {catalogEntry} from '../../src/servers/catalog.js'
import {fetchServer} from '../../src/servers/fetch.js'
import {listInstalled, serversRoot} from '../../src/servers/store.js'
import {isUserError} from '../../src/errors.js'
import {freePort, tempDir} from '../support/servers.js'
import {twlab} from '../support/cli.js'

const homes: string[] = []
function home(): string {
  const dir = tempDir('twlab-servers-')
  homes.push(dir)
  return dir
}

/** What is left in servers/ besides the apt lists cache. */
function leftovers(twlabHome: string): string[] {
  const root = serversRoot(twlabHome)
  return existsSync(root) ? readdirSync(root).filter((name) => name !== '.apt') : []
}

function oneSentence(text: string): boolean {
  return text.trim().split('\n').length === 1 && /\.$/.test(text.trim())
}

describe('failed fetches', () => {
  after(() => {
    for (const dir of homes) rmSync(dir, {recursive: true, force: true})
  })

  test('a package the archive does not have: nothing installed, one sentence naming it', async () => {
    const twlabHome = home()
    const entry = {...catalogEntry('valkey-9.1'), packages: ['valkey-server', 'twlab-no-such-package']}
    await assert.rejects(fetchServer(entry, {home: twlabHome}), (error) => {
      assert.ok(isUserError(error))
      assert.match(error.message, /^Fetching valkey-9\.1 failed and nothing was installed \(.*twlab-no-such-package.*\): .*run `twlab servers add valkey-9\.1` again\.$/)
      assert.ok(oneSentence(error.message), error.message)
      return true
    })
    assert.deepEqual(leftovers(twlabHome), [])
    assert.deepEqual(listInstalled(twlabHome), [])
  })

  test('interrupted while downloading: nothing installed, says to run it again', async () => {
    const twlabHome = home()
    const stop = new AbortController()
    const fetching = fetchServer(catalogEntry('valkey-9.1'), {
      home: twlabHome,
      signal: stop.signal,
      progress: (line) => {
        if (line.startsWith('Reading')) setTimeout(() => stop.abort(), 50)
      },
    })
    await assert.rejects(fetching, (error) => {
      assert.ok(isUserError(error))
      assert.equal(error.message, 'The fetch of valkey-9.1 was interrupted and nothing was installed: run `twlab servers add valkey-9.1` again.')
      assert.equal(error.exitCode, 130)
      return true
    })
    assert.deepEqual(leftovers(twlabHome), [])
  })

  test('an archive that cannot be reached: the CLI says so in one sentence and exits 1', async () => {
    const twlabHome = home()
    const closed = await freePort()
    const result = await twlab(['servers', 'add', 'redis-8.0'], {env: {TWLAB_HOME: twlabHome, TWLAB_DEBIAN_ARCHIVE: `http://127.0.0.1:${closed}/debian`}, timeoutMs: 120_000})
    assert.equal(result.code, 1)
    const error = result.stderr.split('\n').filter((line) => line.startsWith('Error: '))
    assert.equal(error.length, 1, result.stderr)
    assert.match(error[0], /^Error: Fetching redis-8\.0 failed and nothing was installed \(.*127\.0\.0\.1.*\): check that this machine reaches the Debian archive/)
    assert.deepEqual(leftovers(twlabHome), [])
    assert.equal(existsSync(join(serversRoot(twlabHome), 'redis-8.0')), false)
  })
})
