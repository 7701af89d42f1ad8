// How a failed command reads, in one place: every error (a UserError, oclif's flag and argument
// parsing, an unknown command, Ctrl-C, a bug) becomes a report with a stable code, one sentence,
// an optional hint and the exit code. Humans get `Error: sentence` (red on a terminal) and the hint
// on stderr; --json gets one small object on stdout. Never a stack trace, unless TWLAB_DEBUG is set.
//
// The JSON shape is part of the interface:
//   {"error": {"code": "usage" | "failed" | "interrupted" | "internal", "message": "...", "hint"?: "...", "exitCode": 2}}
// Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C); the same with and without --json.
import {isUserError} from '../../errors.js'
import {colours} from '../terminal/colour.js'

export type ErrorCode = 'usage' | 'failed' | 'interrupted' | 'internal'

export interface ErrorReport {
  code: ErrorCode
  message: string
  hint?: string
  exitCode: number
}

export const EXIT = {ok: 0, failure: 1, usage: 2, interrupted: 130} as const

/** Thrown where the user stopped the command (Ctrl-C at a prompt, a declined did-you-mean). */
export class Interrupted extends Error {
  readonly exitCode = EXIT.interrupted
  constructor(message = 'Interrupted.') {
    super(message)
    this.name = 'Interrupted'
  }
}

type OclifError = Error & {oclif?: {exit?: number}; code?: string; parse?: unknown; exitCode?: number}

/** oclif's parse messages carry a header and a "See more help" trailer: keep the sentence. */
function parseMessage(raw: string): string {
  const lines = raw
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^See more help with --help$/.test(line) && !/^The following errors? occurred:$/.test(line))
  const joined = lines.join(' ').replace(/:\s+/g, ': ').replace(/\s+/g, ' ').replace(/^Parsing (--\S+) /, 'Parsing $1: ')
  return /[.!?]$/.test(joined) ? joined : `${joined}.`
}

/** The report for any error a command can end with. `command` names it in the usage hint. */
export function reportOf(error: unknown, command?: string): ErrorReport {
  const e = error as OclifError
  if (error instanceof Interrupted) return {code: 'interrupted', message: error.message, exitCode: EXIT.interrupted}
  if (isUserError(error)) {
    const code: ErrorCode = error.exitCode === EXIT.usage ? 'usage' : error.exitCode === EXIT.interrupted ? 'interrupted' : 'failed'
    return {code, message: error.message, ...(error.hint ? {hint: error.hint} : {}), exitCode: error.exitCode}
  }
  if (e?.oclif?.exit === EXIT.usage) {
    return {code: 'usage', message: parseMessage(e.message), hint: `See twlab ${command ? `${command} ` : ''}--help.`, exitCode: EXIT.usage}
  }
  const message = e instanceof Error ? e.message : String(error)
  return {code: 'internal', message: message || 'Unexpected failure.', hint: 'This looks like a bug in twlab: run again with TWLAB_DEBUG=1 for details.', exitCode: EXIT.failure}
}

/** Writes the report where it belongs (stdout as JSON, or stderr as text) and sets the exit code. */
export function renderError(report: ErrorReport, options: {json: boolean; error?: unknown}): void {
  process.exitCode = report.exitCode
  if (options.json) {
    process.stdout.write(`${JSON.stringify({error: report})}\n`)
    return
  }
  const paint = colours(process.stderr)
  const lines = report.code === 'interrupted' ? [report.message] : [paint.error(`Error: ${report.message}`)]
  if (report.hint) lines.push(paint.hint(report.hint))
  if (process.env.TWLAB_DEBUG && options.error instanceof Error && options.error.stack) lines.push(options.error.stack)
  process.stderr.write(`${lines.join('\n')}\n`)
}
