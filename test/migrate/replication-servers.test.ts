// The replica's side of the wire against every server version the project runs: the system's
// Redis 7.0, Redis 8.0 and Valkey 9.1 (fetched). Each takes twlab as a replica (PSYNC ->
// +FULLRESYNC), sends its RDB (read by the RDB reader, disk-based `$<length>` and diskless
// `$EOF:` transfers both), then the command stream, with expiries already absolute; a second
// link from the first one's offset gets +CONTINUE.
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {after, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {CommandStreamReader} from '../../src/protocol/command-stream.js'
import {RdbParser} from '../../src/protocol/rdb/index.js'
import {EOF_MARK_BYTES, ReplicaLink, type PsyncAnswer} from '../../src/migrate/changes/replica-link.js'
import {installedProgram} from '../../src/servers/store.js'
import {fetchedServer} from '../support/fetched-servers.js'
import {freePort, sleep, tempDir, waitForPort} from '../support/servers.js'

const children: ChildProcess[] = []

async function startServer(name: string | undefined, extra: string[]): Promise<number> {
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tempDir('twlab-repl-'), ...extra]
  let child: ChildProcess
  if (name) {
    const program = installedProgram(await fetchedServer(name), 'server')
    child = spawn(program.bin, [...program.prefixArgs, ...args], {stdio: 'ignore'})
  } else child = spawn('redis-server', args, {stdio: 'ignore'})
  children.push(child)
  await waitForPort(port)
  return port
}

interface Followed {
  answer: PsyncAnswer
  keys: string[]
  commands: string[][]
  offset: number
  link: ReplicaLink
}

/** Follows a server: its snapshot's keys, then the stream's commands until `until` has been seen. */
async function follow(port: number, eof: boolean, from: {replid: string; offset: number} | undefined, write: () => Promise<void>, until: string): Promise<Followed> {
  const {link, answer} = await ReplicaLink.open({host: '127.0.0.1', port}, {}, from, {eof})
  const parser = new RdbParser()
  const keys: string[] = []
  const commands: string[][] = []
  let reader = answer.kind === 'continue' ? new CommandStreamReader((from as {offset: number}).offset) : undefined
  const stream = (chunk: Buffer) => {
    reader?.append(chunk)
    for (let command = reader?.next(); command; command = reader?.next()) {
      commands.push(command.args.map(String))
      if (command.args[0].toString().toUpperCase() === 'REPLCONF') link.ack(command.endOffset)
    }
  }
  link.start({
    snapshot: (chunk) => {
      parser.append(chunk)
      for (let record = parser.next(); record; record = parser.next()) {
        if (record.kind === 'key') keys.push(record.key.toString())
        if (record.kind !== 'end') continue
        let rest = record.trailing
        if (link.eofMark) rest = rest.subarray(EOF_MARK_BYTES)
        reader = new CommandStreamReader((answer as {offset: number}).offset)
        link.ack((answer as {offset: number}).offset)
        link.snapshotEnded(rest)
        stream(Buffer.alloc(0))
      }
    },
    stream,
    closed: () => {},
  }, answer.kind === 'full')
  for (let i = 0; i < 400 && !reader; i++) await sleep(25)
  // a master starts the stream on the first ACK it gets once it sees the snapshot sent: ack every 100 ms, as a replica does every second
  const acks = setInterval(() => link.ack(reader?.consumedOffset ?? 0), 100)
  await write()
  for (let i = 0; i < 400 && !commands.some((c) => c.includes(until)); i++) await sleep(25)
  clearInterval(acks)
  return {answer, keys, commands, offset: reader?.consumedOffset ?? 0, link}
}

after(() => {
  for (const child of children) child.kill('SIGKILL')
})

for (const server of [undefined, 'redis-8.0', 'valkey-9.1']) {
  describe(`replica link to ${server ?? 'the system redis-server'}`, () => {
    test('full resync: the snapshot through the RDB reader, then the stream; then a partial resync from its offset', async () => {
      for (const eof of [false, true]) {
        const port = await startServer(server, eof ? ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'] : ['--repl-diskless-sync', 'no'])
        const client = new Redis({port})
        await client.set('before', '1')
        await client.hset('hash', 'f', 'v')
        const first = await follow(port, eof, undefined, async () => {
          await client.set('after', 'x', 'EX', 100)
          await client.expire('before', 50)
          await client.set('marker1', '1')
        }, 'marker1')
        assert.equal(first.answer.kind, 'full')
        assert.deepEqual(first.keys.sort(), ['before', 'hash'])
        const writes = first.commands.filter((c) => !['PING', 'SELECT', 'REPLCONF'].includes(c[0].toUpperCase()))
        assert.deepEqual(writes[0].slice(0, 4).map((a, i) => (i === 0 || i === 3 ? a.toUpperCase() : a)), ['SET', 'after', 'x', 'PXAT'], JSON.stringify(writes))
        assert.equal(writes[1][0].toUpperCase(), 'PEXPIREAT')
        first.link.close()
        await client.set('between', '1')
        const second = await follow(port, eof, {replid: first.answer.replid, offset: first.offset}, async () => {
          await client.set('marker2', '1')
        }, 'marker2')
        assert.equal(second.answer.kind, 'continue', `${server ?? 'redis 7'} eof=${eof}`)
        assert.ok(second.commands.some((c) => c.includes('between')), 'the stream continues where the first link stopped')
        second.link.close()
        client.disconnect()
      }
    })
  })
}
