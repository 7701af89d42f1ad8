// The short way into a command, for the bundled entry (scripts/bundle.js): when the command is
// known from the manifest and no help is asked for, it is run with a Config of our package alone.
// oclif's full start would first load the help and autocomplete plugins and our hooks; the command
// itself runs exactly as under oclif (same parsing, init, catch, --json).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Config, type Command} from '@oclif/core'

type CommandClass = (new (argv: string[], config: Config) => Command) & {id?: string}

export async function runKnownCommand(root: string, id: string, argv: string[], load: () => Promise<{default: CommandClass}>): Promise<void> {
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const ours = {...pjson, oclif: {...pjson.oclif, plugins: [], hooks: {}}}
  const [config, {default: CommandClass}] = await Promise.all([Config.load({root, pjson: ours}), load()])
  CommandClass.id = id
  const command = new CommandClass(argv, config) as unknown as {_run(): Promise<unknown>}
  await command._run()
}
