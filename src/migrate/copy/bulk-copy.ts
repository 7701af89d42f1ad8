// The bulk copy of one source: SCAN pages, each read whole by one script call (the keys, their
// DUMP payloads and expiries) and written to the target while the next pages are read, up to
// `window` pages being written at once. The source's checkpoint
// cursor only advances past a page once that page and every page before it are on the target.
import type {CopyContext} from './context.js'
import {copyScannedPage} from './copier.js'
import type {SourceCursor} from '../checkpoint.js'
import {readPage} from '../source/reader.js'
import type {Source} from '../source/sources.js'

export interface BulkOptions {
  scanCount: number
  window: number
  /** true once the user asked to stop (Ctrl-C): the pages in flight finish, nothing new starts */
  stopRequested: () => boolean
  /** called whenever the cursor advances (the caller saves the checkpoint, throttled) */
  onCommit: () => void
}

export async function bulkCopySource(ctx: CopyContext, source: Source, position: SourceCursor, options: BulkOptions): Promise<void> {
  if (position.done) return
  let cursor = position.cursor
  const inFlight: Array<{after: string; work: Promise<void>}> = []
  const commitOldest = async () => {
    const page = inFlight.shift() as {after: string; work: Promise<void>}
    await page.work
    position.cursor = page.after
    if (page.after === '0') position.done = true
    options.onCommit()
  }
  try {
    for (let round = 0; round < 1e9; round++) {
      if (options.stopRequested()) break
      const page = await readPage(source, cursor, options.scanCount)
      cursor = page.cursor
      const work = copyScannedPage(ctx, source, page)
      work.catch(() => {}) // awaited (and so reported) in order by commitOldest
      inFlight.push({after: cursor, work})
      while (inFlight.length >= options.window) await commitOldest()
      if (cursor === '0') break
    }
    while (inFlight.length > 0) await commitOldest()
  } finally {
    // On an error, let the other pages settle before the caller saves and closes connections.
    await Promise.allSettled(inFlight.map((page) => page.work))
  }
}
