// oclif's command_not_found hook: `twlab stauts` names the closest command. On a terminal it asks
// and, when accepted, runs that command with the words and flags that followed (so `keys wher
// foo` runs `keys where foo`); without one (scripts, CI) or with --json it prints the suggestion
// as a usage error and exits 2, since guessing for a script would be worse than stopping.
import type {Hook} from '@oclif/core'
import {EXIT, Interrupted, renderError, reportOf, type ErrorReport} from './error-report.js'
import {confirm} from '../prompt.js'
import {closestCommand} from './suggest.js'

/** Ends the run with `report` already printed: oclif exits with its code and prints nothing. */
class ReportedExit extends Error {
  readonly code = 'EEXIT'
  readonly skipOclifErrorHandling = true
  readonly oclif: {exit: number}
  constructor(exitCode: number) {
    super(`exit ${exitCode}`)
    this.oclif = {exit: exitCode}
  }
}

async function accepted(question: string, json: boolean): Promise<boolean> {
  try {
    return await confirm(question, true)
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    renderError(reportOf(error), {json})
    throw new ReportedExit(EXIT.interrupted)
  }
}

const hook: Hook<'command_not_found'> = async function ({config}) {
  const typed = process.argv.slice(2)
  const json = typed.includes('--json')
  const visible = config.commands.filter((command) => !command.hidden).map((command) => command.id.replaceAll(':', ' '))
  const suggestion = closestCommand(typed, visible)
  const firstFlag = typed.findIndex((word) => word.startsWith('-'))
  const asTyped = (firstFlag === -1 ? typed : typed.slice(0, firstFlag)).slice(0, suggestion?.wordsUsed ?? 1).join(' ')
  const notACommand = `"${asTyped}" is not a ${config.bin} command.`
  const interactive = !json && process.stdin.isTTY && process.stderr.isTTY && !process.env.CI
  if (suggestion && interactive && (await accepted(`${notACommand} Did you mean "${config.bin} ${suggestion.command}"?`, json))) {
    return config.runCommand(suggestion.command.replaceAll(' ', ':'), typed.slice(suggestion.wordsUsed))
  }
  const report: ErrorReport = suggestion
    ? {code: 'usage', message: `${notACommand} Did you mean "${config.bin} ${suggestion.command}"?`, exitCode: EXIT.usage}
    : {code: 'usage', message: notACommand, hint: `Run ${config.bin} help for the list of commands.`, exitCode: EXIT.usage}
  renderError(report, {json})
  throw new ReportedExit(EXIT.usage)
}

export default hook
