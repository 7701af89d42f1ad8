// Writes a planned lab's config files from templates/: redis.conf per redis node, sentinel.conf
// per sentinel, and the pool's nutcracker.yml.
import {randomBytes} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {renderTemplate, type TemplateValues} from './templates.js'
import type {LabNode, LabState} from './state.js'

function writeFile(path: string, text: string): void {
  mkdirSync(join(path, '..'), {recursive: true})
  writeFileSync(path, text)
}

/** What every template gets of --tls (with the plain port off) and --user. */
function accessValues(lab: LabState, node: LabNode): TemplateValues {
  return {
    port: node.port,
    plainPort: lab.tls ? 0 : node.port,
    tls: lab.tls !== undefined,
    caFile: lab.tls?.caFile,
    certFile: lab.tls?.certFile,
    keyFile: lab.tls?.keyFile,
    user: lab.user,
  }
}

export function renderRedisConfig(lab: LabState, node: LabNode): string {
  const master = node.master ? lab.nodes.find((candidate) => candidate.name === node.master) : undefined
  return renderTemplate('redis.conf', {
    ...accessValues(lab, node),
    tlsCluster: lab.tls !== undefined && lab.topology === 'cluster',
    lab: lab.name,
    node: node.name,
    role: node.role,
    host: node.host,
    dir: node.dataDir,
    logFile: node.logFile,
    pidFile: join(node.dataDir, 'redis.pid'),
    password: lab.password,
    // one far-off save point: a snapshot at every graceful shutdown; "" keeps nothing (--ephemeral)
    save: lab.ephemeral ? '""' : '3600 1',
    // cluster replicas are attached with CLUSTER REPLICATE once the cluster has met
    replicaof: master && lab.topology !== 'cluster' ? `${master.host} ${master.port}` : undefined,
    cluster: lab.topology === 'cluster',
    nodeTimeoutMs: lab.cluster?.nodeTimeoutMs,
    busPort: node.busPort,
  })
}

/**
 * Sentinel configs list the replicas and the other sentinels up front (with ids we choose), so
 * the sentinels need not wait for INFO and hello rounds to discover them before a failover can run.
 */
export function renderSentinelConfigs(lab: LabState): Map<string, string> {
  const sentinels = lab.nodes.filter((node) => node.role === 'sentinel')
  const ids = new Map(sentinels.map((node) => [node.name, randomBytes(20).toString('hex')]))
  const configs = new Map<string, string>()
  for (const sentinel of sentinels) {
    const monitors = lab.nodes.filter((node) => node.role === 'master').map((master) => {
      const group = master.group ?? master.name
      const replicas = lab.nodes.filter((node) => node.role === 'replica' && node.master === master.name)
      const peers = sentinels.filter((peer) => peer !== sentinel)
      return renderTemplate('sentinel-monitor.conf', {
        group,
        masterHost: master.host,
        masterPort: master.port,
        quorum: lab.sentinel?.quorum ?? 2,
        downAfterMs: lab.sentinel?.downAfterMs ?? 1000,
        failoverTimeoutMs: lab.sentinel?.failoverTimeoutMs ?? 5000,
        password: lab.password,
        knownReplicas: replicas.map((replica) => `sentinel known-replica ${group} ${replica.host} ${replica.port}`).join('\n'),
        knownSentinels: peers.map((peer) => `sentinel known-sentinel ${group} ${peer.host} ${peer.port} ${ids.get(peer.name)}`).join('\n'),
      })
    }).join('\n')
    configs.set(sentinel.name, renderTemplate('sentinel.conf', {
      ...accessValues(lab, sentinel),
      lab: lab.name,
      node: sentinel.name,
      host: sentinel.host,
      dir: sentinel.dataDir,
      logFile: sentinel.logFile,
      pidFile: join(sentinel.dataDir, 'sentinel.pid'),
      myid: ids.get(sentinel.name) ?? '',
      monitors,
    }))
  }
  return configs
}

/** nutcracker.yml for the lab's masters (written even without a proxy: it describes the pool). */
export function renderPoolConfig(lab: LabState): string {
  const masters = lab.nodes.filter((node) => node.role === 'master')
  // A sentinel lab fronted by twproxy uses its `sentinels:` extension: servers are named by their
  // Sentinel master (placement by name), so the proxy follows failovers. nutcracker cannot.
  const followSentinels = lab.topology === 'sentinel' && lab.proxy.kind === 'twproxy'
  const sentinels = followSentinels ? lab.nodes.filter((node) => node.role === 'sentinel') : []
  return renderTemplate('nutcracker.yml', {
    lab: lab.name,
    topology: lab.topology,
    pool: lab.proxy.pool,
    listen: lab.proxy.address ?? `${lab.host}:${lab.basePort}`,
    hash: lab.proxy.hash,
    distribution: lab.proxy.distribution,
    password: lab.password,
    // redis_user, tls_* and read_from are twproxy's; nutcracker would refuse the file
    user: lab.proxy.kind === 'twproxy' ? lab.user : undefined,
    tls: lab.tls !== undefined,
    caFile: lab.tls?.caFile,
    certFile: lab.tls?.certFile,
    keyFile: lab.tls?.keyFile,
    readFrom: lab.readFrom,
    servers: masters.map((node) => `    - ${node.host}:${node.port}:1 ${followSentinels && node.group ? node.group : node.name}`).join('\n'),
    sentinels: sentinels.map((node) => `    - ${node.host}:${node.port}`).join('\n'),
  })
}

export function writeLabConfigs(lab: LabState): void {
  for (const node of lab.nodes) {
    mkdirSync(node.dataDir, {recursive: true})
    if (node.role === 'master' || node.role === 'replica') writeFile(node.configFile, renderRedisConfig(lab, node))
  }
  for (const [name, text] of renderSentinelConfigs(lab)) {
    const node = lab.nodes.find((candidate) => candidate.name === name)
    if (node) writeFile(node.configFile, text)
  }
  if (lab.proxy.configFile) writeFile(lab.proxy.configFile, renderPoolConfig(lab))
}
