// A dataset that makes a real server write every type and encoding it can: config settings force
// each encoding just before its keys are written (the encoding is chosen at write time), binary,
// integer-like and compressible keys, expiries in ms and s, several databases, a stream with
// consumer groups and pending entries, a function library.
import type {Redis} from 'ioredis'

export const FUNCTION_LIBRARY = "#!lua name=rdbtestlib\nredis.register_function('rdbtest_one', function(keys, args) return 1 end)"

/** Keys that must carry an expiry, by name (latin1 text of the key). */
export interface Dataset {
  dbs: number[]
  expiring: string[]
}

const range = (n: number) => Array.from({length: n}, (_, i) => i)

export async function fillEveryEncoding(client: Redis): Promise<Dataset> {
  const config = (name: string, value: string | number) => client.config('SET', name, String(value))
  await client.select(0)
  // strings: raw, integers of each width, LZF-compressed, empty, binary, incompressible big
  await client.set('str:raw', 'hello world')
  await client.set('str:int8', '-7')
  await client.set('str:int16', '30000')
  await client.set('str:int32', '-2000000000')
  await client.set('str:int64', '9007199254740993')
  await client.set('str:lzf', 'abcabcabc'.repeat(50))
  await client.set('str:empty', '')
  await client.set('str:binary', Buffer.from([0, 1, 2, 255, 254, 13, 10]))
  await client.set('str:big', Buffer.from(range(100_000).map((i) => (i * 7919 + (i >> 3)) & 0xff)))
  await client.set('12345', 'an integer-encoded key')
  await client.set(Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]), 'binary key')
  await client.set('k'.repeat(200), 'a compressible (LZF) key')
  // lists: one listpack node, many small nodes, compressed nodes, plain nodes
  await client.rpush('list:small', 'a', '1', '-300', 'long-ish element', '70000', '5000000000')
  await config('list-max-listpack-size', 4)
  await client.rpush('list:nodes', ...range(50).map((i) => `e${i}`))
  await config('list-compress-depth', 1)
  await client.rpush('list:compressed', ...range(60).map((i) => `compressible-element-${'q'.repeat(30)}-${i}`))
  await config('list-compress-depth', 0)
  await config('list-max-listpack-size', -2)
  await client.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '100')
  await client.rpush('list:plain', 'small', 'p'.repeat(300), 'small2', Buffer.alloc(150, 7))
  await client.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1073741824')
  // sets: intset (16/32/64-bit), listpack (7.2+), hashtable
  await client.sadd('set:intset16', 1, 2, 3, -4)
  await client.sadd('set:intset64', 1, 5_000_000_000, -9_000_000_000_000)
  await client.sadd('set:small-strings', 'a', 'b', 'c')
  await config('set-max-intset-entries', 4)
  await client.sadd('set:many-ints', ...range(10))
  await config('set-max-intset-entries', 512)
  await client.sadd('set:hashtable', ...range(200).map((i) => `member-${i}`))
  // zsets: listpack, skiplist (binary doubles), special scores
  await client.zadd('zset:small', 1, 'one', 2.5, 'two and a half', -3, 'neg', 1e-300, 'tiny')
  await client.zadd('zset:inf', 'inf', 'up', '-inf', 'down', 0, 'zero')
  await config('zset-max-listpack-entries', 4)
  await client.zadd('zset:skiplist', ...range(20).flatMap((i) => [i / 7, `m${i}`]))
  await config('zset-max-listpack-entries', 128)
  // hashes: listpack, hashtable
  await client.hset('hash:small', 'f1', 'v1', 'n', '42', 'neg', '-1', 'big', '123456789012')
  await config('hash-max-listpack-entries', 4)
  await client.hset('hash:table', ...range(20).flatMap((i) => [`field-${i}`, `value-${i}`]))
  await config('hash-max-listpack-entries', 128)
  await client.hset('hash:long-value', 'f', 'x'.repeat(100))
  await fillStream(client)
  // expiries
  await client.set('ttl:ms', 'soon')
  await client.pexpire('ttl:ms', 3_600_123)
  await client.rpush('ttl:list', 'a', 'b')
  await client.expire('ttl:list', 7200)
  await client.hset('ttl:hash', 'f', 'v')
  await client.pexpireat('ttl:hash', Date.now() + 86_400_000)
  // other databases
  await client.select(1)
  await client.set('db1:key', 'in db 1')
  await client.sadd('db1:set', 'x')
  await client.select(5)
  await client.set('db5:key', 'in db 5')
  await client.pexpire('db5:key', 600_000)
  await client.select(0)
  await client.call('FUNCTION', 'LOAD', FUNCTION_LIBRARY)
  return {dbs: [0, 1, 5], expiring: ['ttl:ms', 'ttl:list', 'ttl:hash', 'db5:key']}
}

async function fillStream(client: Redis): Promise<void> {
  await client.config('SET', 'stream-node-max-entries', '3')
  for (let i = 1; i <= 10; i++) await client.xadd('stream:groups', `${1000 + i}-${i}`, 'sensor', 'a', 'reading', String(i * 10))
  await client.xadd('stream:groups', '2000-0', 'other', 'fields', 'n', '-5')
  await client.xdel('stream:groups', '1003-3')
  await client.xgroup('CREATE', 'stream:groups', 'readers', '0')
  await client.xgroup('CREATE', 'stream:groups', 'idle', '$')
  await client.xreadgroup('GROUP', 'readers', 'alice', 'COUNT', '3', 'STREAMS', 'stream:groups', '>')
  await client.xreadgroup('GROUP', 'readers', 'bob', 'COUNT', '2', 'STREAMS', 'stream:groups', '>')
  await client.xack('stream:groups', 'readers', '1001-1')
  await client.xgroup('CREATECONSUMER', 'stream:groups', 'idle', 'carol')
  await client.config('SET', 'stream-node-max-entries', '100')
  await client.xadd('stream:plain', '*', 'k', 'v')
  await client.xadd('stream:empty', '5-5', 'k', 'v')
  await client.xdel('stream:empty', '5-5')
}
