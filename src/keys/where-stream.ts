// `twlab keys where --stdin`: keys in, placements out, streamed so millions of keys run in
// bounded memory. Output is a JSON array written element by element (--json), or one
// tab-separated line per key under a header line (easy to cut, sort or awk).
import type {Readable, Writable} from 'node:stream'
import {readKeyLines} from './key-lines.js'
import type {KeyPlacement, PoolPlacement} from './where.js'

export type StreamFormat = 'json' | 'tsv'

export const TSV_COLUMNS = ['key', 'pool', 'server', 'address', 'hash', 'slot'] as const

/** A placement as one tab-separated line (a tab or newline inside a key is escaped as \t, \n). */
export function placementTsv(p: KeyPlacement): string {
  const key = p.key.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n')
  return `${key}\t${p.pool}\t${p.server ?? '(random)'}\t${p.address ?? '(random)'}\t${p.hash}\t${p.slot}\n`
}

/**
 * Places every key read from `input` in each of the pools and writes the results to `output`
 * (per key, one result per pool, in the pools' order); returns the number of keys.
 */
export async function streamPlacements(input: Readable, output: Writable, placements: readonly PoolPlacement[], format: StreamFormat): Promise<number> {
  let count = 0
  let written = 0
  let closed = false
  let failure: Error | undefined
  const onError = (error: NodeJS.ErrnoException) => {
    // The reader went away (`| head`): stop quietly, like other command-line tools.
    closed = true
    if (error.code !== 'EPIPE') failure = error
  }
  output.on('error', onError)
  const write = async (text: string) => {
    if (closed) return
    if (!output.write(text)) await drainedOrClosed(output)
  }
  try {
    await write(format === 'json' ? '[' : `${TSV_COLUMNS.join('\t')}\n`)
    for await (const keys of readKeyLines(input)) {
      if (closed) break
      let text = ''
      for (const key of keys) {
        for (const placement of placements) {
          const placed = placement.placeBytes(key)
          text += format === 'json' ? `${written === 0 ? '\n' : ',\n'}${JSON.stringify(placed)}` : placementTsv(placed)
          written++
        }
        count++
      }
      await write(text)
    }
    await write(format === 'json' ? (written === 0 ? ']\n' : '\n]\n') : '')
    if (failure !== undefined) throw failure
  } finally {
    output.off('error', onError)
  }
  return count
}

/**
 * Waits for the reader to catch up (or go away). Both listeners go once either fires: waiting
 * with two `once()` promises left the 'close' one behind at every full pipe (`| cat`), until Node
 * warned of a listener leak.
 */
function drainedOrClosed(output: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      output.off('drain', done)
      output.off('close', done)
      resolve()
    }
    output.on('drain', done)
    output.on('close', done)
  })
}
