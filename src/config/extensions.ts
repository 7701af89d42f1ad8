// twlab's opt-in pool keys: things nutcracker itself rejects ("directive ... is unknown") but
// twlab's own tools and proxy understand. They are off by default, so a file parses exactly as
// nutcracker parses it; `parseConfig(text, {extensions: true})` accepts the registered ones and
// keeps their parsed values in PoolConfig.extensions under their yaml key.
//
// To add one: call registerExtension() at module load in the module that owns the feature
// (or list it in BUILTIN_EXTENSIONS below), with how to read the value. A parse function
// returns the value to keep, or throws ExtensionValueError with what is wrong and how to fix it.
import type {PoolConfig} from './types.js'

export interface ExtensionKey {
  /** the yaml key under a pool */
  key: string
  /** one line for `twlab conf test` / `conf show`: what it does */
  description: string
  /** 'scalar' (key: value) or 'sequence' (key: then "- item" lines) */
  value: 'scalar' | 'sequence'
  /** reads the raw text (one string, or one per sequence item); returns what to keep */
  parse(value: string | string[]): unknown
  /** optional: apply the parsed value to the typed pool fields too */
  apply?(pool: PoolConfig, parsed: unknown): void
  /** writes the parsed value back as yaml text (one string, or one per sequence item) */
  format?(parsed: unknown): string | string[]
  /** true when the key supplies the pool's backends, so `servers:` may be left out */
  providesServers?: boolean
  /**
   * optional: checks the whole pool once it is read (the value may constrain other keys, as
   * `sentinels:` constrains server names); throws ExtensionValueError to refuse the pool
   */
  check?(pool: PoolConfig, parsed: unknown): void
}

export class ExtensionValueError extends Error {
  constructor(readonly problem: string, readonly fix: string) {
    super(problem)
  }
}

const registry = new Map<string, ExtensionKey>()

/** A sequence key's entries (a lone scalar counts as one); an empty list is refused with `fix`. */
export function nonEmptyList(value: string | string[], key: string, fix: string): string[] {
  const items = Array.isArray(value) ? value : [value]
  if (items.length === 0) throw new ExtensionValueError(`${key} is empty`, fix)
  return items
}

export function registerExtension(extension: ExtensionKey): void {
  if (registry.has(extension.key)) throw new Error(`twlab extension key "${extension.key}" is registered twice`)
  registry.set(extension.key, extension)
}

export function findExtension(key: string): ExtensionKey | undefined {
  return registry.get(key)
}

export function listExtensions(): ExtensionKey[] {
  return [...registry.values()]
}

function parseBool(value: string | string[]): boolean {
  if (value === 'true') return true
  if (value === 'false') return false
  throw new ExtensionValueError(`"${value}" is not "true" or "false"`, 'Write true or false in lower case.')
}

// reuseport exists in nutcracker's master branch, not in the 0.5.0 release: SO_REUSEPORT on the
// pool's listener so several proxies can share one port.
registerExtension({
  key: 'reuseport',
  description: 'SO_REUSEPORT on the pool listener (nutcracker master only; 0.5.0 rejects it)',
  value: 'scalar',
  parse: parseBool,
  apply: (pool, parsed) => {
    pool.reuseport = parsed as boolean
  },
  format: (parsed) => String(parsed),
})
