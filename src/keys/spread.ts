// How evenly keys are spread over nodes: max/mean (1 is perfect; 1.5 means the fullest node
// holds half again the average) and the standard deviation, absolute and relative to the mean.

export interface Spread {
  mean: number
  max: number
  min: number
  maxOverMean: number
  stdDev: number
  /** stdDev / mean (the coefficient of variation); 0 when there is nothing */
  relativeStdDev: number
}

export function spreadOf(counts: number[]): Spread {
  if (counts.length === 0) return {mean: 0, max: 0, min: 0, maxOverMean: 0, stdDev: 0, relativeStdDev: 0}
  const mean = counts.reduce((sum, count) => sum + count, 0) / counts.length
  const max = Math.max(...counts)
  const min = Math.min(...counts)
  const variance = counts.reduce((sum, count) => sum + (count - mean) ** 2, 0) / counts.length
  const stdDev = Math.sqrt(variance)
  return {
    mean,
    max,
    min,
    maxOverMean: mean === 0 ? 0 : max / mean,
    stdDev,
    relativeStdDev: mean === 0 ? 0 : stdDev / mean,
  }
}
