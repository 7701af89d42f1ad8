// Prompts (inquirer). Only used on a TTY; BaseCommand refuses instead when there is none.
import {confirm as inquirerConfirm} from '@inquirer/prompts'

export async function confirm(question: string, defaultAnswer = false): Promise<boolean> {
  return inquirerConfirm({message: question, default: defaultAnswer})
}
