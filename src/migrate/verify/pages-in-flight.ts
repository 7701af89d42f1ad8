// The window verify scans with: each page of a scanned server is checked while the next pages are
// read, a few at once, so neither side waits for the other.
/** Pages being checked at once per scanned server, while the next page is read. */
const WINDOW = 4

/**
 * Runs `check` on each page `next` yields, up to WINDOW at once, in order; the first failure
 * is thrown once every started check has settled.
 */
export async function pagesInFlight<T>(next: () => Promise<{page: T; last: boolean}>, check: (page: T) => Promise<void>): Promise<void> {
  const inFlight: Array<Promise<void>> = []
  try {
    for (let round = 0; round < 1e9; round++) {
      const {page, last} = await next()
      const work = check(page)
      work.catch(() => {}) // awaited (and so reported) in order below
      inFlight.push(work)
      if (inFlight.length >= WINDOW) await inFlight.shift()
      if (last) break
    }
    while (inFlight.length > 0) await inFlight.shift()
  } finally {
    await Promise.allSettled(inFlight)
  }
}

