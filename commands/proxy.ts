import {checkConfigFile, formatProblem} from '../src/config/index.js'
import {main} from '../src/proxy/cli/cli.js'
import {parseProxyArgs} from '../src/proxy/cli/options.js'
import {BaseCommand} from '../src/cli/base-command.js'
import {UserError} from '../src/errors.js'

export default class ProxyCommand extends BaseCommand {
  static override summary = 'Run twproxy, the drop-in nutcracker: same flags, same nutcracker.yml, same replies and stats.'
  static override description = [
    'Takes exactly the nutcracker 0.5.0 command line (run `twlab proxy -h` for its usage):',
    '  -c FILE config (default /etc/nutcracker/nutcracker.yml), -o FILE log (default /var/log/nutcracker/nutcracker.log),',
    '  -s PORT / -a ADDR stats port and address, -v N log level, -t test the config, -d daemonize, -p FILE pid file,',
    '  -m N mbuf size, -i N stats interval, -D describe stats, -V version.',
    'twproxy adds --workers N (processes sharing the listen ports) and client limits',
    '(--max-request-bytes, --max-pipeline, --max-output-bytes, --client-idle-timeout, --max-clients); see --help-twproxy.',
    '--json applies to -t only: the verdict and every problem as JSON.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> proxy -c nutcracker.yml -o twproxy.log',
    '<%= config.bin %> proxy -t -c nutcracker.yml --json',
    '<%= config.bin %> proxy -d -p /run/twproxy.pid -c nutcracker.yml --workers 2',
  ]
  static override strict = false

  async run() {
    const argv = this.argv.filter((arg) => arg !== '--json')
    if (!this.jsonEnabled()) {
      process.exitCode = await main(argv)
      return undefined
    }
    const parsed = parseProxyArgs(argv)
    if (!parsed.ok || !parsed.options.testConf) {
      throw new UserError('--json applies to -t (test the configuration) only.', {hint: 'Run `twlab proxy -t -c FILE --json`, or drop --json to run the proxy.'})
    }
    const file = parsed.options.confFile
    const check = await checkConfigFile(file)
    if (!check.ok) process.exitCode = 1
    return {file, valid: check.ok, problems: check.problems.map((p) => ({...p, message: formatProblem(p)}))}
  }
}
