// Prompts (inquirer). Only used on a TTY; BaseCommand refuses instead when there is none.
// Loaded on first use: most runs (--yes, --json, no TTY) never ask, and every command would
// otherwise pay inquirer's import at start-up. Ctrl-C at a prompt is an Interrupted (exit 130,
// one line), not inquirer's ExitPromptError with its stack.
import {Interrupted} from './failure/error-report.js'

export async function confirm(question: string, defaultAnswer = false): Promise<boolean> {
  const {confirm: inquirerConfirm} = await import('@inquirer/prompts')
  try {
    return await inquirerConfirm({message: question, default: defaultAnswer})
  } catch (error) {
    if ((error as Error | undefined)?.name === 'ExitPromptError') throw new Interrupted('Cancelled: nothing was done.')
    throw error
  }
}
