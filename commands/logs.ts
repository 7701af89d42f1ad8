import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag} from '../src/cli/lab-options.js'
import {UserError} from '../src/errors.js'
import {followFiles, tailLines} from '../src/lab/logs.js'
import {findNode, loadLab} from '../src/lab/state.js'

export default class Logs extends BaseCommand {
  static override summary = 'Show the logs of a lab node, or of every node; -f follows them.'
  static override examples = ['<%= config.bin %> logs m1', '<%= config.bin %> logs -f', '<%= config.bin %> logs s1 --lines 200']

  static override args = {
    node: Args.string({description: 'node name (default: every node)'}),
  }

  static override flags = {
    lab: labNameFlag,
    follow: Flags.boolean({char: 'f', description: 'keep printing new lines until Ctrl-C'}),
    lines: Flags.integer({description: 'how many of the last lines to show per node', default: 20}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Logs)
    if (flags.follow && this.jsonEnabled()) throw new UserError('--follow and --json do not go together: drop one of them.')
    const lab = loadLab(flags.lab)
    const nodes = args.node ? [findNode(lab, args.node)] : lab.nodes
    const many = nodes.length > 1
    const result: Record<string, string[]> = {}
    for (const node of nodes) {
      const lines = tailLines(node.logFile, flags.lines)
      result[node.name] = lines
      if (many) this.log(`==> ${node.name} (${node.logFile}) <==`)
      for (const line of lines) this.log(line)
    }
    if (flags.follow) {
      const controller = new AbortController()
      process.once('SIGINT', () => controller.abort())
      process.once('SIGTERM', () => controller.abort())
      await followFiles(nodes.map((node) => ({label: node.name, file: node.logFile})), (label, line) => {
        this.log(many ? `${label}: ${line}` : line)
      }, controller.signal)
    }
    return {lab: lab.name, logs: result}
  }
}
