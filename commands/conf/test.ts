import {Flags} from '@oclif/core'
import {checkConfigFile, DEFAULT_CONFIG_FILE, formatProblem, syntaxLine} from '../../src/config/index.js'
import {BaseCommand} from '../../src/cli/base-command.js'

export default class ConfTest extends BaseCommand {
  static override summary = 'Check a nutcracker.yml as nutcracker -t does, and say exactly what is wrong.'
  static override description = 'Exit 0 when nutcracker would accept the file, 1 when it would refuse it. Prints nutcracker\'s own verdict line, then every problem with its file, line, pool, key and fix.'
  static override examples = ['<%= config.bin %> conf test -c conf/nutcracker.yml', '<%= config.bin %> conf test -c nutcracker.yml --json']
  static override flags = {
    'conf-file': Flags.string({char: 'c', description: 'nutcracker.yml to read (as nutcracker -c)', default: DEFAULT_CONFIG_FILE}),
    extensions: Flags.boolean({description: "accept twlab's extension keys (nutcracker itself rejects them)", default: false}),
  }

  async run() {
    const {flags} = await this.parse(ConfTest)
    const file = flags['conf-file']
    const check = await checkConfigFile(file, {extensions: flags.extensions})
    if (!check.ok) process.exitCode = 1
    if (!this.jsonEnabled()) {
      this.log(syntaxLine(file, check.ok))
      for (const problem of check.problems) this.log(`  ${formatProblem(problem)}`)
      for (const warning of check.warnings) this.log(`  warning: ${formatProblem(warning)}`)
      for (const use of check.extensionsUsed) {
        this.log(`  note: ${file}:${use.line}: pool "${use.pool}" uses the twlab extension "${use.key}" (${use.description}); nutcracker itself rejects this file, twlab accepts it.`)
      }
    }
    return {
      file,
      valid: check.ok,
      problems: check.problems.map((p) => ({...p, message: formatProblem(p)})),
      warnings: check.warnings.map((p) => ({...p, message: formatProblem(p)})),
      extensions: check.extensionsUsed,
    }
  }
}
