// nutcracker's modula distribution: the live servers in index order, each repeated `weight`
// times, and a key goes to entry hash % (sum of live weights). Stored as cumulative weights so a
// pool with large weights does not need an array of that size.

export interface ModulaTable {
  /** cumulative live weights: entry i covers [ends[i-1], ends[i]) */
  ends: Float64Array
  /** the server index of each entry */
  indexes: Uint32Array
  /** the sum of the live weights */
  total: number
}

export function buildModulaTable(weights: readonly number[], live?: readonly boolean[]): ModulaTable {
  const ends: number[] = []
  const indexes: number[] = []
  let total = 0
  weights.forEach((weight, index) => {
    if (live !== undefined && !live[index]) return
    total += weight
    ends.push(total)
    indexes.push(index)
  })
  return {ends: Float64Array.from(ends), indexes: Uint32Array.from(indexes), total}
}

/** The server index for `hash` (a uint32). */
export function modulaDispatch(table: ModulaTable, hash: number): number {
  const slot = hash % table.total
  const {ends} = table
  let left = 0
  let right = ends.length - 1
  while (left < right) {
    const middle = (left + right) >>> 1
    if (ends[middle]! <= slot) left = middle + 1
    else right = middle
  }
  return table.indexes[left]!
}
