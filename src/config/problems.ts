// What is wrong with a nutcracker.yml, said better than nutcracker says it: the file, the line,
// the pool, the key, what was wrong and how to fix it. nutcracker -t prints only "syntax is
// invalid"; we keep its own log reason beside ours (`nutcracker`) so twproxy can log it verbatim.

export interface ConfigProblem {
  /** the file the text came from ("<string>" when parsed from text) */
  file: string
  /** 1-based line, when the problem has a place in the file */
  line?: number
  /** 1-based column, when known */
  column?: number
  pool?: string
  key?: string
  /** what is wrong, without a trailing period: `"fnv2" is not a valid hash` */
  problem: string
  /** what to do about it, a full sentence */
  fix?: string
  /** the line nutcracker itself logs for this problem, when it logs one */
  nutcracker?: string
}

/** `nutcracker.yml:12: pool "alpha", key "hash": "fnv2" is not a valid hash. Use one of: ...` */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`
  const scope = [p.pool === undefined ? undefined : `pool ${JSON.stringify(p.pool)}`, p.key === undefined ? undefined : `key ${JSON.stringify(p.key)}`]
    .filter(Boolean)
    .join(', ')
  const text = `${where}: ${scope ? `${scope}: ` : ''}${p.problem}.`
  return p.fix ? `${text} ${p.fix}` : text
}

/**
 * Thrown by parseConfig / loadConfig for a file nutcracker would refuse. Its fields describe the
 * first problem (in file order); `problems` holds every problem found.
 */
export class ConfigError extends Error implements ConfigProblem {
  readonly file: string
  readonly line?: number
  readonly column?: number
  readonly pool?: string
  readonly key?: string
  readonly problem: string
  readonly fix?: string
  readonly nutcracker?: string
  readonly problems: ConfigProblem[]
  /** for UIs that print errors as one sentence and exit with a code (see src/errors.ts) */
  readonly exitCode = 1

  constructor(problems: ConfigProblem[]) {
    if (problems.length === 0) throw new TypeError('ConfigError needs at least one problem')
    const [first] = problems
    const more = problems.length > 1 ? ` (${problems.length - 1} more problem${problems.length > 2 ? 's' : ''} in this file)` : ''
    super(formatProblem(first) + more)
    this.name = 'ConfigError'
    this.file = first.file
    this.line = first.line
    this.column = first.column
    this.pool = first.pool
    this.key = first.key
    this.problem = first.problem
    this.fix = first.fix
    this.nutcracker = first.nutcracker
    this.problems = problems
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError
}

/** Problems sorted by where they are in the file (problems without a line last, stable). */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({p, i}))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || (a.p.column ?? Infinity) - (b.p.column ?? Infinity) || a.i - b.i)
    .map(({p}) => p)
}
