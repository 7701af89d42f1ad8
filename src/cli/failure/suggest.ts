// Did-you-mean: the command closest to what was typed, with the words that follow it kept as
// its arguments (`keys wher foo` -> `keys where` with `foo`). Closeness is the optimal string
// alignment distance (Levenshtein plus swapped neighbours), so `stauts` is one edit from
// `status` and two from `start`.

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({length: rows}, (_, i) => Array.from({length: cols}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}

export interface Suggestion {
  /** the command as users type it: `keys where` */
  command: string
  /** how many of the typed words it replaces */
  wordsUsed: number
  distance: number
}

/**
 * The closest command to the leading words of `typed` (flags end the words), or undefined when
 * nothing is close enough (more than a third of the typed text would change).
 */
export function closestCommand(typed: readonly string[], commands: readonly string[]): Suggestion | undefined {
  const firstFlag = typed.findIndex((word) => word.startsWith('-'))
  const words = firstFlag === -1 ? [...typed] : typed.slice(0, firstFlag)
  let best: Suggestion | undefined
  for (const command of commands) {
    const wordsUsed = command.split(' ').length
    if (wordsUsed > words.length) continue
    const attempt = words.slice(0, wordsUsed).join(' ')
    const distance = editDistance(attempt, command)
    const limit = Math.max(1, Math.floor(attempt.length / 3))
    if (distance > limit) continue
    if (!best || distance < best.distance || (distance === best.distance && wordsUsed > best.wordsUsed)) best = {command, wordsUsed, distance}
  }
  return best
}
