// Prompts (inquirer). Only used on a TTY; BaseCommand refuses instead when there is none.
// Loaded on first use: most runs (--yes, --json, no TTY) never ask, and every command would
// otherwise pay inquirer's import at start-up.
export async function confirm(question: string, defaultAnswer = false): Promise<boolean> {
  const {confirm: inquirerConfirm} = await import('@inquirer/prompts')
  return inquirerConfirm({message: question, default: defaultAnswer})
}
