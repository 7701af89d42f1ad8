// A private apt sources list naming the same Debian archive as the system's own sources, for
// another suite (trixie, sid). The system's sources are read, never written: apt-get runs with
// this list and its own lists folder, so the system's package state is left alone.
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {UserError} from '../errors.js'

/** One archive a sources file names: a URI with its suites, components and key. */
export interface AptSource {
  uri: string
  suites: string[]
  components: string[]
  signedBy?: string
}

/** Lets a system whose sources name no Debian archive (Ubuntu, say) point at one. */
export const ARCHIVE_ENV = 'TWLAB_DEBIAN_ARCHIVE'

function deb822Fields(paragraph: string): Map<string, string> {
  const fields = new Map<string, string>()
  let current: string | undefined
  for (const line of paragraph.split('\n')) {
    if (line.startsWith('#')) continue
    if (/^\s/.test(line) && current) {
      fields.set(current, `${fields.get(current)}\n${line.trim()}`)
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    current = line.slice(0, colon).trim().toLowerCase()
    fields.set(current, line.slice(colon + 1).trim())
  }
  return fields
}

/** The binary-package archives of a deb822 .sources file (disabled paragraphs skipped). */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = []
  for (const paragraph of text.split(/\n\s*\n/)) {
    const fields = deb822Fields(paragraph)
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue
    const words = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean)
    const signedBy = fields.get('signed-by')
    for (const uri of words('uris')) {
      // An inline key block cannot be carried into a one-line list: apt then uses its trusted keys.
      sources.push({uri, suites: words('suites'), components: words('components'), ...(signedBy && !signedBy.includes('\n') ? {signedBy} : {})})
    }
  }
  return sources
}

/** The binary-package archives of a one-line sources.list (`deb [options] uri suite components`). */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    const match = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line)
    if (!match) continue
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(match[1] ?? '')?.[1]
    sources.push({uri: match[2], suites: [match[3]], components: match[4].split(/\s+/).filter(Boolean), ...(signedBy ? {signedBy} : {})})
  }
  return sources
}

/**
 * The archives that serve whole releases: those listing a bare suite (bookworm, not
 * bookworm-security or bookworm-updates), which is where other suites live too. Duplicates go.
 */
export function releaseArchives(sources: AptSource[]): AptSource[] {
  const seen = new Set<string>()
  return sources.filter((source) => {
    if (!source.suites.some((suite) => /^[a-z]+$/.test(suite))) return false
    const key = source.uri.replace(/\/+$/, '')
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** The private list: each release archive, for `suite`, component main. */
export function privateSourcesList(archives: AptSource[], suite: string): string {
  return archives.map((archive) => `deb ${archive.signedBy ? `[signed-by=${archive.signedBy}] ` : ''}${archive.uri} ${suite} main`).join('\n') + '\n'
}

/** Every archive in the system's sources: /etc/apt/sources.list and sources.list.d/*.{list,sources}. */
export function readSystemSources(etcApt = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = []
  const main = join(etcApt, 'sources.list')
  if (existsSync(main)) sources.push(...parseOneLineSources(readFileSync(main, 'utf8')))
  const parts = join(etcApt, 'sources.list.d')
  if (existsSync(parts)) {
    for (const name of readdirSync(parts).sort()) {
      const path = join(parts, name)
      if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(readFileSync(path, 'utf8')))
      else if (name.endsWith('.list')) sources.push(...parseOneLineSources(readFileSync(path, 'utf8')))
    }
  }
  return sources
}

/** The archives to fetch from: $TWLAB_DEBIAN_ARCHIVE if set, else the system's release archives. */
export function fetchArchives(etcApt = '/etc/apt', env: NodeJS.ProcessEnv = process.env): AptSource[] {
  const override = env[ARCHIVE_ENV]
  if (override) return [{uri: override, suites: [], components: ['main']}]
  const archives = releaseArchives(readSystemSources(etcApt))
  if (archives.length === 0) {
    throw new UserError(`The system's apt sources (${etcApt}/sources.list and sources.list.d) name no Debian archive to fetch servers from: set ${ARCHIVE_ENV} to the URL of a Debian mirror.`)
  }
  return archives
}
