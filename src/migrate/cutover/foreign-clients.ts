// Before a cut-over: who else writes to the sources? Only twproxy moves to the cluster; a client
// connected to a source directly keeps writing there, and those writes (during the pause they
// wait, after it they land) never reach the cluster. CLIENT LIST on each source, minus twlab's
// own connections (named twlab-*), replication links, and twproxy's connections: those are the
// sockets the proxy process (and its workers) hold, found through /proc.
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {formatAddress} from '../../address.js'
import type {Source} from '../source/sources.js'

export interface ForeignClients {
  source: string
  /** "addr name=... cmd=..." for each client, a few of them */
  clients: string[]
  count: number
}

/** The proxy's pid and its children's (twproxy --workers forks workers that hold the sockets). */
function processTree(pid: number): number[] {
  const pids = [pid]
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        if (ppid === pid) pids.push(Number(entry))
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc: only the pid itself
  }
  return pids
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>()
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (match) inodes.add(match[1])
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // not ours to read, or gone
  }
  return inodes
}

/** Local TCP ports of the sockets the process tree of `pid` holds (undefined when unknown). */
export function localPortsOf(pid: number): Set<number> | undefined {
  const inodes = new Set<string>()
  for (const p of processTree(pid)) for (const inode of socketInodes(p)) inodes.add(inode)
  if (inodes.size === 0) return undefined
  const ports = new Set<number>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length < 10 || !inodes.has(fields[9])) continue
      ports.add(parseInt(fields[1].split(':')[1], 16))
    }
  }
  return ports
}

function field(line: string, name: string): string {
  const match = new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)
  return match ? match[1] : ''
}

/** Clients of each source that are neither twlab, nor replication, nor the proxy. */
export async function foreignClients(sources: Source[], proxyPid: number): Promise<ForeignClients[]> {
  const proxyPorts = localPortsOf(proxyPid) ?? new Set<number>()
  const found: ForeignClients[] = []
  for (const source of sources) {
    const list = String(await source.client.client('LIST')).split('\n').filter(Boolean)
    const others = list.filter((line) => {
      if (field(line, 'name').startsWith('twlab')) return false
      if (/[SM]/.test(field(line, 'flags'))) return false
      const port = Number(field(line, 'addr').split(':').pop())
      return !proxyPorts.has(port)
    })
    if (others.length > 0) {
      found.push({
        source: formatAddress(source.address),
        count: others.length,
        clients: others.slice(0, 3).map((line) => `${field(line, 'addr')}${field(line, 'name') ? ` name=${field(line, 'name')}` : ''} cmd=${field(line, 'cmd')}`),
      })
    }
  }
  return found
}
