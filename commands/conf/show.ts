import {Flags} from '@oclif/core'
import {checkConfigFile, DEFAULT_CONFIG_FILE, formatProblem, renderConfig, type NutcrackerConfig, type PoolConfig} from '../../src/config/index.js'
import {BaseCommand} from '../../src/cli/base-command.js'
import {UserError} from '../../src/errors.js'
import {renderTable} from '../../src/cli/table.js'

export default class ConfShow extends BaseCommand {
  static override summary = 'Show the effective configuration: every pool and server, defaults filled in.'
  static override description = 'Pools and servers are listed in nutcracker\'s order (shorter name first, then bytewise), which is the order of server indexes and of the stats output.'
  static override examples = ['<%= config.bin %> conf show -c conf/nutcracker.yml', '<%= config.bin %> conf show -c conf/nutcracker.yml --format yaml', '<%= config.bin %> conf show --json']
  static override flags = {
    'conf-file': Flags.string({char: 'c', description: 'nutcracker.yml to read (as nutcracker -c)', default: DEFAULT_CONFIG_FILE}),
    extensions: Flags.boolean({description: "accept twlab's extension keys (nutcracker itself rejects them)", default: false}),
    format: Flags.string({description: 'human output: tables, or the effective nutcracker.yml', options: ['table', 'yaml'], default: 'table'}),
  }

  async run(): Promise<NutcrackerConfig> {
    const {flags} = await this.parse(ConfShow)
    const file = flags['conf-file']
    const check = await checkConfigFile(file, {extensions: flags.extensions})
    if (!check.ok) {
      const more = check.problems.length > 1 ? ` (${check.problems.length - 1} more: run twlab conf test -c ${file} to see them all)` : ''
      throw new UserError(`${formatProblem(check.problems[0])}${more}`)
    }
    const config = check.config!
    for (const warning of check.warnings) this.note(`warning: ${formatProblem(warning)}`)
    if (!this.jsonEnabled()) {
      if (flags.format === 'yaml') {
        this.log(`# effective configuration of ${file}, defaults filled in, in nutcracker's order`)
        this.log(renderConfig(config, {allKeys: true}).trimEnd())
      } else {
        this.log(config.pools.map((pool) => poolTables(pool)).join('\n\n'))
      }
    }
    return config
  }
}

function poolTables(pool: PoolConfig): string {
  const settings: Array<[string, string | number]> = [
    ['listen', pool.listen.text],
    ['protocol', pool.redis ? 'redis' : 'memcache'],
    ['hash', pool.hash],
    ['hash_tag', pool.hashTag ?? '(none)'],
    ['distribution', pool.distribution],
    ['timeout', pool.timeout < 0 ? 'none (wait forever)' : `${pool.timeout} ms`],
    ['backlog', pool.backlog],
    ['redis_auth', pool.redisAuth === undefined ? '(none)' : '(set)'],
    ['redis_db', pool.redisDb],
    ['preconnect', String(pool.preconnect)],
    ['auto_eject_hosts', String(pool.autoEjectHosts)],
    ['server_connections', pool.serverConnections],
    ['server_retry_timeout', `${pool.serverRetryTimeout} ms`],
    ['server_failure_limit', pool.serverFailureLimit],
    ['tcpkeepalive', String(pool.tcpkeepalive)],
  ]
  for (const [key, value] of Object.entries(pool.extensions)) settings.push([`${key} (twlab)`, JSON.stringify(value)])
  const width = Math.max(...settings.map(([key]) => key.length))
  const servers = pool.servers.map((s, index) => [index, s.name, s.address, s.weight])
  return [
    `pool ${pool.name}`,
    ...settings.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`),
    renderTable(['#', 'server (name)', 'address', 'weight'], servers),
  ].join('\n')
}
