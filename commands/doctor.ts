import {Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'
import {renderTable} from '../src/cli/table.js'
import {runDoctor} from '../src/lab/doctor.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check what labs need: redis-server, redis-sentinel, nutcracker, twproxy, ports, $TWLAB_HOME.'
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']

  static override flags = {
    'redis-bin': Flags.string({description: 'folder holding redis-server and redis-sentinel (default: PATH)'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Doctor)
    const checks = await runDoctor({redisBin: flags['redis-bin']})
    const ok = checks.every((check) => check.ok || !check.required)
    this.log(renderTable(['check', 'status', 'detail'], checks.map((check) => [
      check.name, check.ok ? 'ok' : check.required ? 'MISSING' : 'warning', check.fix ? `${check.detail}\nfix: ${check.fix}` : check.detail,
    ])))
    this.log(ok ? 'Everything a lab needs is here.' : 'Labs cannot start until the MISSING items are fixed.')
    if (!ok) process.exitCode = 1
    return {ok, checks}
  }
}
