// Terminal tables (cli-table3), compact (no rules between rows) so long listings stay readable
// and plain enough to paste into an issue.
import Table from 'cli-table3'

const COMPACT = {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''}

export function renderTable(head: string[], rows: Array<Array<string | number>>): string {
  const table = new Table({head, chars: COMPACT, style: {head: [], border: []}})
  for (const row of rows) table.push(row.map((cell) => String(cell)))
  return table.toString()
}
