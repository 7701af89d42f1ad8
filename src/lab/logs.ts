// Reading lab logs: the last lines of a node's log, and following several logs as they grow.
import {closeSync, existsSync, openSync, readSync, statSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

/** The last `count` lines of a file (reads at most the last 1 MiB). */
export function tailLines(file: string, count: number): string[] {
  if (!existsSync(file)) return []
  const size = statSync(file).size
  const length = Math.min(size, 1 << 20)
  const buffer = Buffer.alloc(length)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, buffer, 0, length, size - length)
  } finally {
    closeSync(fd)
  }
  const lines = buffer.toString('utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  return count <= 0 ? [] : lines.slice(-count)
}

/**
 * Calls `onLine` for every line appended to `files` from now on, until `signal` aborts.
 * Polls, because fs.watch misses appends on some filesystems.
 */
export async function followFiles(files: Array<{label: string; file: string}>, onLine: (label: string, line: string) => void, signal: AbortSignal, pollMs = 250): Promise<void> {
  const offsets = new Map(files.map(({file}) => [file, existsSync(file) ? statSync(file).size : 0]))
  const partial = new Map<string, string>()
  while (!signal.aborted) {
    for (const {label, file} of files) {
      if (!existsSync(file)) continue
      const size = statSync(file).size
      let offset = offsets.get(file) ?? 0
      if (size < offset) offset = 0 // truncated or rotated: start over
      if (size === offset) continue
      const buffer = Buffer.alloc(size - offset)
      const fd = openSync(file, 'r')
      try {
        readSync(fd, buffer, 0, buffer.length, offset)
      } finally {
        closeSync(fd)
      }
      offsets.set(file, size)
      const text = (partial.get(file) ?? '') + buffer.toString('utf8')
      const lines = text.split('\n')
      partial.set(file, lines.pop() ?? '')
      for (const line of lines) onLine(label, line)
    }
    await sleep(pollMs)
  }
}
