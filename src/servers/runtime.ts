// Running a fetched binary on an older system: through the loader of its own suite's C library,
// with that suite's libraries first and the system's after them. `ld.so --list` names what is
// still missing, and the table below says which package of the suite provides it.
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {UserError} from '../errors.js'

interface ArchitectureLayout {
  triplet: string
  /** where a suite's libc6 puts the loader, most recent layout first */
  loaders: string[]
}

const LAYOUTS: Record<string, ArchitectureLayout> = {
  amd64: {triplet: 'x86_64-linux-gnu', loaders: ['usr/lib64/ld-linux-x86-64.so.2', 'lib64/ld-linux-x86-64.so.2', 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2']},
  arm64: {triplet: 'aarch64-linux-gnu', loaders: ['usr/lib/ld-linux-aarch64.so.1', 'lib/ld-linux-aarch64.so.1', 'usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1']},
}

export function architectureLayout(architecture: string): ArchitectureLayout {
  const layout = LAYOUTS[architecture]
  if (!layout) throw new UserError(`Fetched servers run on ${Object.keys(LAYOUTS).join(' and ')} only, and this system is ${architecture}: install the server yourself and use \`twlab up --redis-bin DIR\`.`)
  return layout
}

/** The loader inside an extracted tree (relative path), or undefined. */
export function findLoader(root: string, layout: ArchitectureLayout): string | undefined {
  return layout.loaders.find((path) => existsSync(join(root, path)))
}

/** The suite's library folders (relative) then the system's (absolute). */
export function libraryPath(layout: ArchitectureLayout): string[] {
  return [`usr/lib/${layout.triplet}`, `lib/${layout.triplet}`, `/lib/${layout.triplet}`, `/usr/lib/${layout.triplet}`]
}

/** Shared objects a server links, and the Debian package that ships each one. */
const LIBRARY_PACKAGES: Record<string, string> = {
  'libc.so.6': 'libc6',
  'libm.so.6': 'libc6',
  'libstdc++.so.6': 'libstdc++6',
  'libgcc_s.so.1': 'libgcc-s1',
  'libatomic.so.1': 'libatomic1',
  'libjemalloc.so.2': 'libjemalloc2',
  'liblzf.so.1': 'liblzf1',
  'libssl.so.3': 'libssl3t64',
  'libcrypto.so.3': 'libssl3t64',
  'libsystemd.so.0': 'libsystemd0',
  'libcap.so.2': 'libcap2',
  'libgcrypt.so.20': 'libgcrypt20',
  'libgpg-error.so.0': 'libgpg-error0',
  'liblzma.so.5': 'liblzma5',
  'libzstd.so.1': 'libzstd1',
  'liblz4.so.1': 'liblz4-1',
}

/**
 * The shared objects `program` cannot load through `loader` (missing, or too old for it), from
 * `ld.so --list`: "libx.so.1 => not found" and "/lib/.../libx.so.1: version `X' not found".
 */
export async function missingLibraries(loader: string, libraryDirs: string, program: string): Promise<string[]> {
  const result = await execa(loader, ['--library-path', libraryDirs, '--list', program], {reject: false, all: true, timeout: 10_000})
  const missing = new Set<string>()
  for (const line of (result.all ?? '').split('\n')) {
    const absent = /^\s*(\S+) => not found/.exec(line)
    if (absent) missing.add(absent[1])
    const tooOld = /(\S+\.so[.\d]*): version `[^']+' not found/.exec(line)
    if (tooOld) missing.add(tooOld[1].split('/').pop() as string)
  }
  return [...missing]
}

/** The packages providing `libraries`, or a UserError naming a library we do not know. */
export function packagesFor(libraries: string[]): string[] {
  const unknown = libraries.filter((library) => !LIBRARY_PACKAGES[library])
  if (unknown.length > 0) {
    throw new UserError(`The fetched server needs ${unknown.join(', ')}, which this system lacks and twlab does not know how to fetch: install the package that provides it (apt-file search ${unknown[0]}).`)
  }
  return [...new Set(libraries.map((library) => LIBRARY_PACKAGES[library]))]
}
