// The base of every twlab command: --json (machine output on stdout, nothing else there), --quiet
// (only results and errors), every failure rendered one way (error-report.ts: one sentence, a
// stable code, exit 1, 2 on a usage error, 130 on Ctrl-C), a closed pipe ending quietly, colour
// on terminals, and the TTY/--yes rule for destructive commands.
import {Command, Flags, type Interfaces} from '@oclif/core'
import {UserError} from '../errors.js'
import {colours} from './terminal/colour.js'
import {renderError, reportOf} from './failure/error-report.js'
import {endQuietlyOnClosedPipe} from './failure/output.js'
import {confirm} from './prompt.js'
import {applyConnectionFlags} from './target-flags.js'
import {endBars, hideProgress, printLine} from './terminal/terminal-line.js'

/** Whether `flag` (or its short form) was given before any `--`. */
function given(argv: readonly string[], ...spellings: string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => spellings.includes(arg))
}

/** oclif's FlagOutput/ArgOutput, which its interfaces do not export. */
type Flagged = {[name: string]: any}

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    quiet: Flags.boolean({char: 'q', description: 'print only results and errors: no notes, no progress', default: false, helpGroup: 'GLOBAL'}),
  }

  /** Flag for destructive commands: `static flags = {...BaseCommand.yesFlag}`. */
  static yesFlag = {
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation', env: 'TWLAB_YES', default: false}),
  }

  /** Painters for stdout (results): `this.paint.ok('Done.')`; plain when stdout is no terminal. */
  protected readonly paint = colours(process.stdout)

  override async init(): Promise<void> {
    await super.init()
    endQuietlyOnClosedPipe()
    hideProgress(this.jsonEnabled() || this.quietEnabled())
  }

  /** --quiet (or -q) was given: notes and progress stay off, results and errors still print. */
  protected quietEnabled(): boolean {
    return given(this.argv, '--quiet', '-q')
  }

  /** Parses as oclif does, then hands the connection flags (--tls, --user...) to the client factory. */
  protected override async parse<F extends Flagged, B extends Flagged, A extends Flagged>(
    options?: Interfaces.Input<F, B, A>, argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse(options, argv)
    // only commands with the connection flag set (`twlab up --tls` means something else)
    if ('cacert' in (this.ctor.flags ?? {})) applyConnectionFlags(parsed.flags as Record<string, unknown>)
    return parsed
  }

  /** Progress and notes go to stderr so stdout stays clean for --json and pipes. */
  protected note(message: string): void {
    if (!this.jsonEnabled() && !this.quietEnabled()) printLine(message)
  }

  /** A warning on stderr (yellow on a terminal); shown even with --quiet, never with --json. */
  protected warnLine(message: string): void {
    if (!this.jsonEnabled()) printLine(colours(process.stderr).warning(message))
  }

  /**
   * Asks before a destructive step. On a TTY it prompts; without one (CI, pipes) it refuses
   * unless --yes was given, rather than hang waiting for input. The refusal is a UserError, so it
   * prints as one sentence (or a JSON error with --json) like every other mistake a user can make.
   */
  protected async confirmOrRefuse(question: string, yes: boolean): Promise<boolean> {
    if (yes) return true
    if (!process.stdin.isTTY || process.env.CI) {
      throw new UserError(`${question} Refusing without a terminal to ask on: pass --yes to go ahead.`)
    }
    endBars()
    return confirm(question)
  }

  /** Every failure ends here: one report (text on stderr, or JSON on stdout) and its exit code. */
  protected override async catch(error: Error & {code?: string; oclif?: {exit?: number}}): Promise<unknown> {
    if (error.code === 'EEXIT') {
      // this.exit(n): an exit, not a failure
      process.exitCode = error.oclif?.exit ?? 0
      return undefined
    }
    endBars()
    renderError(reportOf(error, this.id?.replaceAll(':', ' ')), {json: this.jsonEnabled(), error})
    return undefined
  }
}
