// Horizontal bars for the terminal: one row per item, scaled to the largest value, with an
// optional marker (|) where an expected value falls, so "actual vs predicted" reads at a glance.

export interface Bar {
  label: string
  /** the value the bar shows, e.g. a share between 0 and 1 */
  value: number
  /** where a marker goes on the same scale, e.g. the predicted share */
  expected?: number
  /** text after the bar */
  note?: string
}

export function renderBarChart(bars: Bar[], width = 40): string {
  const scale = Math.max(...bars.map((bar) => Math.max(bar.value, bar.expected ?? 0)), Number.EPSILON)
  const labelWidth = Math.max(...bars.map((bar) => bar.label.length), 0)
  return bars.map((bar) => {
    const filled = Math.round((bar.value / scale) * width)
    const cells: string[] = Array.from({length: width}, (_cell, index) => (index < filled ? '█' : ' '))
    if (bar.expected !== undefined) {
      const at = Math.min(width - 1, Math.max(0, Math.round((bar.expected / scale) * width) - 1))
      cells[at] = marker(cells[at])
    }
    return `${bar.label.padEnd(labelWidth)} ${cells.join('')}${bar.note ? ` ${bar.note}` : ''}`
  }).join('\n')
}

/** The marker shows as | over empty cells and as a half cell (▌) inside the bar. */
function marker(cell: string): string {
  return cell === '█' ? '▌' : '|'
}
