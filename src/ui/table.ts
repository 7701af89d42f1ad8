// Terminal tables (cli-table3), plain enough to paste into an issue.
import Table from 'cli-table3'

export function renderTable(head: string[], rows: Array<Array<string | number>>): string {
  const table = new Table({head, style: {head: [], border: []}})
  for (const row of rows) table.push(row.map((cell) => String(cell)))
  return table.toString()
}
