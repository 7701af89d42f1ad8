// What a server version supports and how it names things, in one place: its program names
// (valkey-* or redis-*), how it reports its version, how it spells replicas, and which native
// slot migration it has. Read from the real binary (`--version`, INFO) wherever possible.
import type {Product} from './catalog.js'

export interface ServerVersion {
  product: Product
  /** "9.1.2" */
  version: string
}

/** `redis-server --version` / `valkey-server --version`: "Valkey server v=9.1.2 sha=..." */
export function parseVersionLine(line: string): ServerVersion | undefined {
  const match = /^(Redis|Valkey) server v=(\d+\.\d+\.\d+)/i.exec(line.trim())
  if (!match) return undefined
  return {product: match[1].toLowerCase() as Product, version: match[2]}
}

/**
 * INFO server fields. Valkey reports redis_version:7.2.4 (the Redis release it forked from, kept
 * for clients that check it) and its own version in valkey_version.
 */
export function versionFromInfo(info: Map<string, string>): ServerVersion | undefined {
  const valkey = info.get('valkey_version')
  if (valkey) return {product: 'valkey', version: valkey}
  const redis = info.get('redis_version')
  return redis ? {product: 'redis', version: redis} : undefined
}

export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number)
  const right = b.split('.').map(Number)
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

/**
 * Native slot migration: Valkey 9.0's CLUSTER MIGRATESLOTS / GETSLOTMIGRATIONS /
 * CANCELSLOTMIGRATIONS, or Redis 8.4's CLUSTER MIGRATION IMPORT|STATUS|CANCEL.
 */
export type AtomicSlotMigration = 'valkey-migrateslots' | 'redis-cluster-migration'

export interface ServerTraits extends ServerVersion {
  /** the program names of this product */
  programs: {server: string; sentinel: string; cli: string}
  atomicSlotMigration?: AtomicSlotMigration
}

export function programNames(product: Product): ServerTraits['programs'] {
  return {server: `${product}-server`, sentinel: `${product}-sentinel`, cli: `${product}-cli`}
}

export function traitsOf(server: ServerVersion): ServerTraits {
  const traits: ServerTraits = {...server, programs: programNames(server.product)}
  if (server.product === 'valkey' && compareVersions(server.version, '9.0.0') >= 0) traits.atomicSlotMigration = 'valkey-migrateslots'
  if (server.product === 'redis' && compareVersions(server.version, '8.4.0') >= 0) traits.atomicSlotMigration = 'redis-cluster-migration'
  return traits
}

/** "valkey 9.1.2" */
export function describeVersion(server: ServerVersion): string {
  return `${server.product} ${server.version}`
}

/**
 * Replica wording. Checked on Valkey 9.1.2: INFO still says role:slave, SENTINEL REPLICAS flags
 * still say slave; Valkey's newer spelling ("replica") is accepted wherever a role is read, so
 * no code breaks the day it changes.
 */
export function isReplicaRole(role: string | undefined): boolean {
  return role === 'slave' || role === 'replica'
}

export function isPrimaryRole(role: string | undefined): boolean {
  return role === 'master' || role === 'primary'
}
