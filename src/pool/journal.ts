// A small journal next to the config file, so an interrupted add-server/remove-server says what
// state it left and the same command finishes it. One file per pool change; gone when done.
import {existsSync, readFileSync, unlinkSync} from 'node:fs'
import {parseServerEntry, writeFileAtomic, type ServerConfig} from '../config/index.js'
import {UserError} from '../errors.js'
import type {PoolChangeAction} from './plan.js'

/**
 * planned: nothing changed yet. switched: the config lists the new servers (with
 * fallback_servers for twproxy) and the proxy was told. moved: every moving key is on its new
 * owner. finalized: the config has no fallback list any more; only stray deletion is left.
 */
export type PoolChangePhase = 'planned' | 'switched' | 'moved' | 'finalized'

export interface PoolChangeJournal {
  version: 1
  action: PoolChangeAction
  pool: string
  /** the servers: entry added or removed */
  server: string
  before: string[]
  after: string[]
  phase: PoolChangePhase
  /** the proxy pid told about the change (a nutcracker must be a new process before keys move) */
  proxyPid?: number
  updatedAt: string
}

export function poolChangeJournalPath(configFile: string, pool: string): string {
  return `${configFile}.${pool.replace(/[^A-Za-z0-9_.-]/g, '_')}.pool-change.json`
}

export function readPoolChangeJournal(configFile: string, pool: string): PoolChangeJournal | undefined {
  const file = poolChangeJournalPath(configFile, pool)
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PoolChangeJournal
  } catch (error) {
    throw new UserError(`The pool change journal ${file} is not valid JSON: compare the config with its .bak, fix the servers by hand, and delete the journal.`, {cause: error})
  }
}

export async function writePoolChangeJournal(configFile: string, journal: PoolChangeJournal): Promise<void> {
  await writeFileAtomic(poolChangeJournalPath(configFile, journal.pool), `${JSON.stringify({...journal, updatedAt: new Date().toISOString()}, null, 2)}\n`)
}

export function removePoolChangeJournal(configFile: string, pool: string): void {
  const file = poolChangeJournalPath(configFile, pool)
  if (existsSync(file)) unlinkSync(file)
}

/** The journal's before/after lists as servers (they were written from parsed entries). */
export function journalServers(entries: string[]): ServerConfig[] {
  return entries.map((entry) => {
    const parsed = parseServerEntry(entry)
    if (!parsed.ok) throw new UserError(`The pool change journal lists a bad server "${entry}": ${parsed.problem}.`)
    return parsed.server
  })
}

/** One sentence on where an interrupted change stopped. */
export function describePhase(journal: PoolChangeJournal): string {
  const what = `${journal.action === 'add' ? 'adding' : 'removing'} ${journal.server} ${journal.action === 'add' ? 'to' : 'from'} pool ${journal.pool}`
  switch (journal.phase) {
    case 'planned': return `${what} was planned; the config and the keys are unchanged`
    case 'switched': return `${what} switched the config to the new servers; keys may still be on their old owners`
    case 'moved': return `${what} moved every key; the config still lists the old servers as fallback`
    case 'finalized': return `${what} is finished but for deleting stale copies on the old owners`
  }
}
