import {test, describe} from 'node:test'
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fetchArchives, parseDeb822Sources, parseOneLineSources, privateSourcesList, readSystemSources, releaseArchives} from '../../src/servers/apt-sources.js'
import {isUserError} from '../../src/errors.js'
import {tempDir} from '../support/servers.js'

const DEB822 = `Types: deb
# a mirror of the archive
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb
URIs: http://inline.example/debian
Suites: bookworm
Components: main contrib
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 abc
 -----END PGP PUBLIC KEY BLOCK-----
`

const ONE_LINE = `# the system's archive
deb [arch=amd64 signed-by=/usr/share/keyrings/other.gpg] http://old.example/debian bookworm main contrib
deb-src http://old.example/debian bookworm main
deb http://old.example/debian-security bookworm-security main
deb https://vendor.example/apt stable main
`

describe('the private sources list', () => {
  test('deb822: every enabled deb paragraph, its suites, components and key file', () => {
    const sources = parseDeb822Sources(DEB822)
    assert.deepEqual(sources.map((source) => source.uri), ['http://mirror.example/debian', 'http://mirror.example/debian-security', 'http://inline.example/debian'])
    assert.deepEqual(sources[0], {uri: 'http://mirror.example/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg'})
    assert.equal(sources[2].signedBy, undefined, 'an inline key cannot go into a one-line list')
  })

  test('one-line: deb lines with their options, deb-src and comments skipped', () => {
    const sources = parseOneLineSources(ONE_LINE)
    assert.deepEqual(sources[0], {uri: 'http://old.example/debian', suites: ['bookworm'], components: ['main', 'contrib'], signedBy: '/usr/share/keyrings/other.gpg'})
    assert.equal(sources.length, 3)
  })

  test('keeps the archives that serve whole releases, not security or updates suites', () => {
    const archives = releaseArchives([...parseDeb822Sources(DEB822), ...parseOneLineSources(ONE_LINE)])
    assert.deepEqual(archives.map((archive) => archive.uri), ['http://mirror.example/debian', 'http://inline.example/debian', 'http://old.example/debian', 'https://vendor.example/apt'])
  })

  test('names the same archive for the asked suite, component main, with its key', () => {
    const text = privateSourcesList(releaseArchives(parseDeb822Sources(DEB822)), 'sid')
    assert.equal(text, 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian sid main\ndeb http://inline.example/debian sid main\n')
  })

  test('reads sources.list and sources.list.d (.list and .sources) from the system folder', () => {
    const etc = tempDir('twlab-apt-')
    mkdirSync(join(etc, 'sources.list.d'))
    writeFileSync(join(etc, 'sources.list'), 'deb http://one.example/debian trixie main\n')
    writeFileSync(join(etc, 'sources.list.d', 'debian.sources'), DEB822)
    writeFileSync(join(etc, 'sources.list.d', 'ignored.list.disabled'), 'deb http://never.example/debian bookworm main\n')
    assert.deepEqual(readSystemSources(etc).map((source) => source.uri), ['http://one.example/debian', 'http://mirror.example/debian', 'http://mirror.example/debian-security', 'http://inline.example/debian'])
    assert.deepEqual(fetchArchives(etc, {}).map((archive) => archive.uri), ['http://one.example/debian', 'http://mirror.example/debian', 'http://inline.example/debian'])
    assert.deepEqual(fetchArchives(etc, {TWLAB_DEBIAN_ARCHIVE: 'http://chosen.example/debian'}).map((archive) => archive.uri), ['http://chosen.example/debian'])
  })

  test('no archive in the system sources is one sentence naming the way out', () => {
    const etc = tempDir('twlab-apt-')
    writeFileSync(join(etc, 'sources.list'), 'deb http://old.example/debian-security bookworm-security main\n')
    assert.throws(() => fetchArchives(etc, {}), (error) => isUserError(error) && /name no Debian archive.*TWLAB_DEBIAN_ARCHIVE/.test(error.message))
  })
})
