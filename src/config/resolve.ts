// nutcracker resolves each pool's listen host when it reads the config (getaddrinfo), and a
// name that does not resolve makes the file invalid. Node's dns.lookup goes through the same
// system resolver. Server hosts are resolved lazily by nutcracker, so they are not checked.
import {lookup} from 'node:dns/promises'
import {isIP} from 'node:net'
import type {ListenHost} from './parse.js'
import type {ConfigProblem} from './problems.js'

export async function resolveListenHosts(file: string, hosts: ListenHost[]): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = []
  await Promise.all(hosts.map(async (h) => {
    if (isIP(h.host)) return
    try {
      await lookup(h.host, {all: true, hints: 0})
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error'
      problems.push({
        file, line: h.line, pool: h.pool, key: 'listen',
        problem: `the host "${h.host}" does not resolve (${code})`,
        fix: 'Use an IP address such as 127.0.0.1 or 0.0.0.0, or a host name this machine can resolve.',
        nutcracker: 'conf: directive "listen" has an invalid value',
      })
    }
  }))
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
}
