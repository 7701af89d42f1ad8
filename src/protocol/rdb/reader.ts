// The RDB reader as async iteration over any byte source: a file, a socket's RDB payload, a test's
// array of chunks. Pulling a record pulls bytes only as needed, so a slow consumer slows the
// reading (backpressure) and memory stays at one value plus one chunk.
import {createReadStream} from 'node:fs'
import type {Readable} from 'node:stream'
import {RdbParser, type RdbParserOptions} from './parser.js'
import type {RdbRecord} from './records.js'

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable

/** Records in batches (as many as the bytes at hand give, at most `maxBatch`): the fast path. */
export async function* readRdbBatches(source: ByteSource, options: RdbParserOptions & {maxBatch?: number} = {}): AsyncGenerator<RdbRecord[]> {
  const parser = new RdbParser(options)
  const maxBatch = options.maxBatch ?? 1024
  let batch: RdbRecord[] = []
  const drain = function* (): Generator<RdbRecord[]> {
    for (;;) {
      const record = parser.next()
      if (record === null) break
      batch.push(record)
      if (batch.length >= maxBatch) {
        yield batch
        batch = []
      }
    }
  }
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    parser.append(chunk)
    yield* drain()
    if (parser.finished) break
  }
  if (!parser.finished) {
    parser.finish()
    yield* drain()
  }
  if (batch.length > 0) yield batch
}

/** Records one by one, in file order, ending with the 'end' record (or an RdbError). */
export async function* readRdb(source: ByteSource, options: RdbParserOptions = {}): AsyncGenerator<RdbRecord> {
  for await (const batch of readRdbBatches(source, options)) yield* batch
}

/** Reads an RDB file from disk in 1 MiB chunks. */
export function rdbFileSource(path: string): Readable {
  return createReadStream(path, {highWaterMark: 1024 * 1024})
}
