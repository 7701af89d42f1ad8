// The line reader behind `keys where --stdin`: keys split across chunks, CRLF, binary bytes,
// a last line without a newline, and the refusal of a line too long to be a key.
import assert from 'node:assert/strict'
import {Readable} from 'node:stream'
import {describe, test} from 'node:test'
import {MAX_KEY_BYTES, readKeyLines} from '../../src/keys/key-lines.js'

async function lines(chunks: Array<string | Buffer>): Promise<string[]> {
  const out: string[] = []
  for await (const batch of readKeyLines(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))))) {
    for (const key of batch) out.push(key.toString('hex'))
  }
  return out.map((hex) => Buffer.from(hex, 'hex').toString('latin1'))
}

describe('readKeyLines', () => {
  test('one key per line, across chunk boundaries', async () => {
    assert.deepEqual(await lines(['ab', 'c\nde', 'f\n', 'g', 'h', '\n']), ['abc', 'def', 'gh'])
  })
  test('a CR before LF is dropped, even when split across chunks', async () => {
    assert.deepEqual(await lines(['a\r\nb\r', '\nc\r\n']), ['a', 'b', 'c'])
  })
  test('the last line needs no newline; empty lines are empty keys', async () => {
    assert.deepEqual(await lines(['a\n\nb']), ['a', '', 'b'])
    assert.deepEqual(await lines(['']), [])
  })
  test('bytes are kept as they are', async () => {
    assert.deepEqual(await lines([Buffer.from([0xff, 0x00, 0x80, 0x0a, 0xc3])]), ['\xff\x00\x80', '\xc3'])
  })
  test('a line longer than a key can be is refused', async () => {
    const long = Buffer.alloc(MAX_KEY_BYTES + 10, 0x61)
    await assert.rejects(lines([long.subarray(0, 600_000), long.subarray(600_000), '\n']), /Line 1 of the input is longer than/)
    await assert.rejects(lines(['ok\n', Buffer.concat([long, Buffer.from('\n')])]), /Line 2 of the input/)
  })
})
