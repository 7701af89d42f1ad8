#!/usr/bin/env node
// The quick start of `twlab`: bundles every command with what it imports (esbuild) into
// dist/bundle/twlab/, one chunk per command plus shared chunks, and writes the list of command ids
// bin/run.js routes by. Loading one bundled chunk costs a fraction of resolving and reading the
// hundreds of files oclif and the libraries are made of. Help, unknown commands and plugins still
// go through oclif unbundled. The chunks sit three folders below the package root, like
// dist/src/lab/*.js, so the modules that find templates/ and bin/ from import.meta.url still do.
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {esmBundleOptions} from './esm-bundle.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = join(root, 'dist/bundle/twlab')

export async function bundle() {
  let esbuild
  try {
    esbuild = await import('esbuild')
  } catch {
    console.error('esbuild is not installed: twlab runs unbundled (slower start).')
    rmSync(outdir, {recursive: true, force: true})
    return
  }
  const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'))
  const commands = Object.values(manifest.commands)
  const table = commands
    .map((c) => `  ${JSON.stringify(c.id)}: () => import(${JSON.stringify(join(root, ...c.relativePath))}),`)
    .join('\n')
  const entry = `import {fileURLToPath} from 'node:url'
import {runKnownCommand} from ${JSON.stringify(join(root, 'dist/src/cli/fast-run.js'))}
const root = fileURLToPath(new URL('../../../', import.meta.url))
const commands = {
${table}
}
export function run(id, argv) {
  return runKnownCommand(root, id, argv, commands[id])
}
`
  rmSync(outdir, {recursive: true, force: true})
  await esbuild.build({
    stdin: {contents: entry, resolveDir: root, sourcefile: 'twlab-entry.js', loader: 'js'},
    outdir,
    entryNames: 'entry',
    ...esmBundleOptions('__twlabRequire'),
    // oclif reaches for TypeScript only to run .ts commands in development
    external: ['typescript'],
    logLevel: 'warning',
    plugins: [{
      name: 'oclif-slim',
      setup(build) {
        build.onResolve({filter: /^@oclif\/core$/}, () => ({path: join(root, 'scripts/oclif-slim.js')}))
      },
    }],
  })
  const ids = commands.flatMap((c) => [c.id, ...(c.aliases ?? [])])
  mkdirSync(outdir, {recursive: true})
  writeFileSync(join(outdir, 'commands.json'), JSON.stringify(ids) + '\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle()
