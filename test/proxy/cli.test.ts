// twproxy's command line against the real nutcracker binary: -h, -V, -D, every option error,
// and -t on good, bad and missing files.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {twlab, twproxy} from '../support/cli.js'
import {freePort, sleep, tempDir, waitForPort} from '../support/servers.js'
import {exchange, resp} from './harness.js'
import {parseProxyArgs} from '../../src/proxy/cli/options.js'

function nutcracker(args: string[]): {code: number | null; stdout: string; stderr: string} {
  const result = spawnSync('nutcracker', args, {encoding: 'latin1', timeout: 10_000})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

const dir = tempDir('twproxy-cli-')

describe('twproxy command line: as nutcracker', () => {
  after(() => rmSync(dir, {recursive: true, force: true}))

  test('-h, -V, -D and their combinations print the same bytes', async () => {
    for (const args of [['-h'], ['--help'], ['-V'], ['--version'], ['-D'], ['--describe-stats'], ['-hD'], ['-V', '-t']]) {
      const expected = nutcracker(args)
      const actual = await twproxy(args)
      assert.equal(actual.code, expected.code, `${args.join(' ')}: exit code`)
      assert.equal(actual.stdout, expected.stdout, `${args.join(' ')}: stdout`)
      assert.equal(Buffer.from(actual.stderr).toString('latin1'), expected.stderr, `${args.join(' ')}: stderr`)
    }
  })

  test('bad options print the same message and usage, exit 1', async () => {
    const cases = [['-x'], ['-v'], ['-v', 'x'], ['-vx'], ['-s', 'x'], ['-s', '0'], ['-s', '70000'], ['-m', '0'], ['-m', '100'],
      ['-m', '99999999'], ['-i', 'x'], ['-i'], ['-c'], ['-o'], ['-p'], ['-a'], ['--verbose=x'], ['--stats-port', '0']]
    for (const args of cases) {
      const expected = nutcracker(args)
      const actual = await twproxy(args)
      assert.equal(actual.code, expected.code, `${args.join(' ')}: exit code`)
      assert.equal(actual.stderr, expected.stderr, `${args.join(' ')}: stderr`)
    }
  })

  test('an unknown long option prints nutcracker\'s message (with its NUL byte)', async () => {
    const expected = nutcracker(['--bogus'])
    const actual = await twproxy(['--bogus'])
    assert.equal(actual.code, 1)
    assert.equal(actual.stderr, expected.stderr)
  })

  test('-t: the verdict line nutcracker prints, with the precise reason before it', async () => {
    const port = await freePort()
    const good = join(dir, 'good.yml')
    writeFileSync(good, `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n   - 127.0.0.1:6379:1\n`)
    const bad = join(dir, 'bad.yml')
    writeFileSync(bad, `alpha:\n  listen: 127.0.0.1:${port}\n  hash: fnv2\n  servers:\n   - 127.0.0.1:6379:1\n`)
    for (const file of [good, bad, join(dir, 'missing.yml')]) {
      const expected = nutcracker(['-t', '-c', file])
      const actual = await twproxy(['-t', '-c', file])
      assert.equal(actual.code, expected.code, `${file}: exit code`)
      assert.ok(actual.stderr.endsWith(expected.stderr), `${file}: ends with nutcracker's lines\n${actual.stderr}`)
      const verdicts = actual.stderr.split('\n').filter((line) => line.startsWith('nutcracker: configuration file'))
      assert.equal(verdicts.join('\n') + '\n', expected.stderr, `${file}: the same verdict lines`)
      if (file !== good) assert.ok(actual.stderr.length > expected.stderr.length, 'a reason is given')
    }
    const reason = await twproxy(['-t', '-c', bad])
    assert.match(reason.stderr, /fnv2/)
  })

  test('a bad configuration at start: the verdict on stderr, the reason in the log, exit 1', async () => {
    const bad = join(dir, 'bad-run.yml')
    writeFileSync(bad, 'alpha:\n  listen: 127.0.0.1:1\n  redis: maybe\n  servers:\n   - 127.0.0.1:6379:1\n')
    const log = join(dir, 'bad-run.log')
    const result = await twproxy(['-c', bad, '-o', log, '-s', String(await freePort())])
    assert.equal(result.code, 1)
    assert.equal(result.stderr, `nutcracker: configuration file '${bad}' syntax is invalid\n`)
    const text = readFileSync(log, 'utf8')
    assert.match(text, /redis/)
    assert.match(text, /done, rabbit done/)
  })

  test('-d daemonizes and -p writes the daemon\'s pid; SIGTERM removes the pid file', async () => {
    const port = await freePort()
    const statsPort = await freePort()
    const config = join(dir, 'daemon.yml')
    writeFileSync(config, `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n   - 127.0.0.1:1:1\n`)
    const pidFile = join(dir, 'twproxy.pid')
    const result = await twproxy(['-d', '-c', config, '-p', pidFile, '-s', String(statsPort), '-a', '127.0.0.1', '-o', join(dir, 'daemon.log')])
    assert.equal(result.code, 0)
    await waitForPort(port)
    let pid = 0
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(50)
    pid = Number(readFileSync(pidFile, 'utf8').trim())
    assert.ok(pid > 0)
    try {
      const ping = await exchange(port, resp('PING'), {until: '+PONG\r\n'})
      assert.equal(ping.data.toString(), '+PONG\r\n')
    } finally {
      process.kill(pid, 'SIGTERM')
    }
    for (let i = 0; i < 100 && existsSync(pidFile); i++) await sleep(50)
    assert.equal(existsSync(pidFile), false)
  })

  test('twlab proxy runs the same command line; --json reports -t as JSON', async () => {
    const version = await twlab(['proxy', '-V'])
    assert.equal(version.code, 0)
    assert.equal(version.stderr, nutcracker(['-V']).stderr)
    const bad = join(dir, 'json-bad.yml')
    writeFileSync(bad, 'alpha:\n  listen: 127.0.0.1:1\n  distribution: circle\n  servers:\n   - 127.0.0.1:6379:1\n')
    const json = await twlab(['proxy', '-t', '-c', bad, '--json'])
    assert.equal(json.code, 1)
    const result = JSON.parse(json.stdout)
    assert.equal(result.valid, false)
    assert.match(result.problems[0].message, /circle/)
    const misuse = await twlab(['proxy', '--json'])
    assert.equal(misuse.code, 1)
    assert.match(misuse.stdout, /--json applies to -t/)
  })
})

test('--metrics takes HOST:PORT with an IPv6 host bare or in brackets', () => {
  const metricsOf = (value: string) => {
    const parsed = parseProxyArgs(['--metrics', value], {})
    return parsed.ok ? parsed.options.metrics : parsed.message
  }
  assert.deepEqual(metricsOf('127.0.0.1:9121'), {host: '127.0.0.1', port: 9121})
  assert.deepEqual(metricsOf('[::1]:9121'), {host: '::1', port: 9121})
  assert.deepEqual(metricsOf('::1:9121'), {host: '::1', port: 9121})
  for (const bad of ['9121', ':9121', '127.0.0.1:0', '127.0.0.1:65536', 'host:']) {
    assert.equal(metricsOf(bad), 'twproxy: option --metrics requires HOST:PORT, as in --metrics 127.0.0.1:9121', bad)
  }
})
