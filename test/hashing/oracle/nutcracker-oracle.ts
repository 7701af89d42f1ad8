// Hash values straight from the installed nutcracker binary: compiles nutcracker-hashes.c (a
// shared object that calls the binary's own exported hash functions) and runs nutcracker with it
// preloaded. Needs a C compiler; `available()` says whether the oracle can run here.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ROOT} from '../../support/cli.js'

const SOURCE = join(ROOT, 'test/hashing/oracle/nutcracker-hashes.c')
export const NUTCRACKER = '/usr/sbin/nutcracker'

function compiler(): string | undefined {
  for (const cc of ['cc', 'gcc', 'clang']) {
    if (spawnSync(cc, ['--version'], {stdio: 'ignore'}).status === 0) return cc
  }
  return undefined
}

/** Why the oracle cannot run here, or undefined when it can. */
export function unavailableReason(): string | undefined {
  if (process.arch !== 'x64') return 'the reference is nutcracker on x86-64 (signed char)'
  if (!existsSync(NUTCRACKER)) return 'nutcracker is not installed'
  if (compiler() === undefined) return 'no C compiler (cc) to build the hash oracle'
  return undefined
}

/** Runs nutcracker with the oracle preloaded, keys (hex lines) on stdin; returns its output lines. */
function runOracle(keys: readonly Uint8Array[], env: NodeJS.ProcessEnv = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'twlab-hash-oracle-'))
  try {
    const library = join(dir, 'nutcracker-hashes.so')
    execFileSync(compiler()!, ['-O2', '-shared', '-fPIC', '-o', library, SOURCE, '-ldl'], {stdio: 'pipe'})
    const input = keys.map((key) => Buffer.from(key).toString('hex')).join('\n') + '\n'
    const output = execFileSync(NUTCRACKER, ['-V'], {input, env: {...process.env, ...env, LD_PRELOAD: library}, timeout: 120_000, maxBuffer: 64 << 20})
    return output.toString('utf8').trim().split('\n')
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** The 12 hash values (HASH_NAMES order) nutcracker computes for each key. */
export function nutcrackerHashes(keys: readonly Uint8Array[]): number[][] {
  const lines = runOracle(keys)
  if (lines.length !== keys.length) throw new Error(`the oracle answered ${lines.length} lines for ${keys.length} keys`)
  return lines.map((line) => line.split(' ').map(Number))
}

/** Keys per second of each of nutcracker's own C hash functions (by hash name), on these keys. */
export function nutcrackerHashRates(keys: readonly string[], rounds = 20): Record<string, number> {
  const lines = runOracle(keys.map((key) => Buffer.from(key)), {NUTCRACKER_HASH_BENCH: String(rounds)})
  return Object.fromEntries(lines.map((line) => line.split(' ')).map(([name, rate]) => [name!, Number(rate)]))
}
