// The base of every twlab command: --json (machine output on stdout, nothing else there),
// errors users cause as one sentence with a non-zero exit code, and the TTY/--yes rule for
// destructive commands.
import {Command, Flags, type Interfaces} from '@oclif/core'
import {UserError, isUserError} from '../errors.js'
import {confirm} from './prompt.js'
import {applyConnectionFlags} from './target-flags.js'

/** oclif's FlagOutput/ArgOutput, which its interfaces do not export. */
type Flagged = {[name: string]: any}

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  /** Flag for destructive commands: `static flags = {...BaseCommand.yesFlag}`. */
  static yesFlag = {
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation', env: 'TWLAB_YES', default: false}),
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
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`)
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
    return confirm(question)
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (isUserError(error)) {
      const text = error.hint ? `${error.message}\n${error.hint}` : error.message
      if (this.jsonEnabled()) {
        this.logJson({error: {message: error.message, hint: error.hint}})
      } else {
        process.stderr.write(`Error: ${text}\n`)
      }
      process.exitCode = error.exitCode
      return undefined
    }
    return super.catch(error)
  }
}
