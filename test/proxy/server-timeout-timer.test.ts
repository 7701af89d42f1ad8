// A server connection with `timeout:` keeps one timer for its requests' deadlines. At pipeline
// depth 1 the in-flight queue empties after nearly every reply; clearing the timer then and arming
// a new one for the next request cost a timer per request. The timer stays armed instead and is
// looked at when it fires, so requests one after another arm it once; a request past its deadline
// still times out.
import assert from 'node:assert/strict'
import {after, test} from 'node:test'
import {encodeCommand} from '../../src/protocol/redis-encode.js'
import {RedisReplyScanner} from '../../src/protocol/redis-reply.js'
import {Request} from '../../src/proxy/client/request.js'
import {ServerConnection, type ConnectionSettings, type ServerEndpoint} from '../../src/proxy/server/server-connection.js'
import {ServerStats} from '../../src/proxy/stats/stats.js'
import {startRedis, stopAll} from '../support/servers.js'

after(() => stopAll())

function settings(timeout: number): ConnectionSettings {
  return {
    redis: true,
    timeout,
    redisDb: 0,
    newScanner: () => new RedisReplyScanner(),
    serverOk: () => {},
    connectionClosed: () => {},
    log: () => {},
  }
}

/** Sends one request on `conn` and waits for its reply or error. */
function call(conn: ServerConnection, args: string[]): Promise<{reply: string; error: string | null}> {
  return new Promise((resolve) => {
    const request = new Request({requestDone: (done) => resolve({reply: Buffer.from(done.reply ?? []).toString('latin1'), error: done.error})}, encodeCommand(args))
    conn.send(request)
  })
}

/** Runs `body` counting the timers armed through the global setTimeout. */
async function countingTimers(body: () => Promise<void>): Promise<number> {
  const original = globalThis.setTimeout
  let armed = 0
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    armed++
    return original(...args)
  }) as typeof setTimeout
  try {
    await body()
  } finally {
    globalThis.setTimeout = original
  }
  return armed
}

test('requests one after another arm the timeout timer once, not once per request', async () => {
  const server = await startRedis()
  const endpoint: ServerEndpoint = {index: 0, name: 'one', host: '127.0.0.1', port: server.port, stats: new ServerStats('one')}
  const conn = new ServerConnection(endpoint, settings(60_000))
  try {
    const armed = await countingTimers(async () => {
      for (let i = 0; i < 200; i++) assert.deepEqual(await call(conn, ['SET', `timer:${i}`, 'v']), {reply: '+OK\r\n', error: null})
    })
    assert.ok(armed <= 2, `200 requests armed ${armed} timers`)
  } finally {
    conn.fail('closed by the test', 'eof')
  }
})

test('a request sent while the timer of an answered one is still armed times out at its own deadline', async () => {
  const server = await startRedis()
  const endpoint: ServerEndpoint = {index: 0, name: 'one', host: '127.0.0.1', port: server.port, stats: new ServerStats('one')}
  const conn = new ServerConnection(endpoint, settings(300))
  try {
    assert.equal((await call(conn, ['SET', 'timer:a', '1'])).reply, '+OK\r\n')
    // the timer armed for the SET is still running; the server stops answering
    process.kill(server.pid, 'SIGSTOP')
    const result = await call(conn, ['GET', 'timer:a'])
    assert.equal(result.error, 'Connection timed out')
    assert.equal(endpoint.stats.server_timedout, 1)
  } finally {
    process.kill(server.pid, 'SIGCONT')
    conn.fail('closed by the test', 'eof')
  }
})
